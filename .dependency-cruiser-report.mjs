// dependency-cruiser's output for `npm run lint:layers`: one line per violation, a cycle written as
// the chain of imports it follows, each edge marked when it is a dynamic import() or an import
// type (the kinds that hide a cycle at run time). dependency-cruiser's own `err` output spreads a
// cycle over one line per module. The rules themselves are in .dependency-cruiser.cjs.

/** How an import is written, when that is not a plain static import. */
function kind(dependencyTypes = []) {
  if (dependencyTypes.includes('dynamic-import')) return 'import() ';
  // `import type` (type-only) and a type written as import('./x.js').T (type-import).
  if (dependencyTypes.includes('type-only') || dependencyTypes.includes('type-import')) return 'type ';
  return '';
}

/** The imported module as the importer names it: a path of ours, a package or built-in by name. */
function target(violation) {
  return violation.to.startsWith('src/') ? violation.to : violation.unresolvedTo || violation.to;
}

function describe(violation) {
  if (violation.type === 'cycle') {
    const chain = violation.cycle.map((step) => `${kind(step.dependencyTypes)}${step.name}`);
    return [violation.from, ...chain].join(' → ');
  }
  return `${violation.from} → ${kind(violation.dependencyTypes)}${target(violation)}`;
}

/** @param {import('dependency-cruiser').ICruiseResult} result */
export default function report(result) {
  const { violations, error, totalCruised, totalDependenciesCruised } = result.summary;
  const checked = `${totalCruised} modules, ${totalDependenciesCruised} imports`;
  const lines = violations.map((v) => `${v.rule.severity} ${v.rule.name}: ${describe(v)}`);
  lines.push(
    violations.length === 0
      ? `layers: no violations (${checked})`
      : `layers: ${violations.length} violations (${checked}); each rule and why: .dependency-cruiser.cjs`,
  );
  return { output: `${lines.join('\n')}\n`, exitCode: error > 0 ? 1 : 0 };
}
