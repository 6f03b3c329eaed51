#!/bin/sh
# The reshare kill sweep (tests/integration/killsweep-reshare.sh) on a
# sample of its kill points: every 15th write/fsync/ftruncate and every
# link, rename, unlink, mkdir and rmdir of a custodian-reshare.  `make
# killsweep` runs every point.
exec sh "$KR_TOP/tests/integration/killsweep-reshare.sh" sample
