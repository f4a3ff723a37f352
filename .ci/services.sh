#!/bin/sh
# Services the test suite needs on CI. Tests start their own private instances; this only makes
# sure the binaries exist.
set -eu
command -v redis-server >/dev/null 2>&1 || (apt-get update && apt-get install -y redis-server)
