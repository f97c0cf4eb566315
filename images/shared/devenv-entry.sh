#!/bin/sh
# The container's main process in devenv's entrypoint mode: it only keeps the container alive.
# The engine's init (tini) runs as PID 1, reaps zombies and ends this on `devenv stop`.
exec sleep infinity
