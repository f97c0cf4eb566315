/**
 * The docker command on a job's node, for its own engine at the standard socket. A job step
 * inherits the user's environment from the login node, where DOCKER_HOST or a docker context may
 * point anywhere else.
 */
export const NODE_DOCKER = [
  'env',
  '-u',
  'DOCKER_HOST',
  '-u',
  'DOCKER_TLS_VERIFY',
  '-u',
  'DOCKER_CERT_PATH',
  'DOCKER_CONTEXT=default',
  'docker',
];
