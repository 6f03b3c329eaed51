#!/bin/sh
# The kill sweep (tests/integration/killsweep.sh) on a sample of its kill
# points: every 25th write/fsync/ftruncate and every link, rename, unlink,
# mkdir and rmdir of a root-ca-create and of a drill.  `make killsweep`
# runs every point (about 11 minutes here).
exec sh "$KR_TOP/tests/integration/killsweep.sh" sample both
