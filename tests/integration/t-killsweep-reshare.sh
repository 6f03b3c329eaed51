#!/bin/sh
# The reshare kill sweep (tests/integration/killsweep-reshare.sh) on a
# sample of its kill points: every link, rename, mkdir and rmdir, every
# other unlink and every 30th of the other calls of a custodian-reshare.  `make
# killsweep` runs every point.
exec sh "$KR_TOP/tests/integration/killsweep-reshare.sh" sample
