#!/usr/bin/env python3
"""Makes tests/vectors/shamir-kat.txt: known answers for kr_shamir_split().

An independent reference, written from draft-mcgrew-tss-03 section 3 (share
generation, f(X, A) = GF_SUM A[i] (*) X^i) rather than from src/crypto/shamir.c:
multiplication is the schoolbook shift-and-xor reduction by 0x11b.  The
"random" coefficient bytes are SHA-256 in counter mode over a fixed label, so
the file is reproducible:

    python3 tests/vectors/mkshamir-kat.py > tests/vectors/shamir-kat.txt

The test feeds the `random` bytes to kr_shamir_split() through
kr_shamir_set_rng(): bytes 32(k-1) .. 32k-1 are the coefficient of x^k, byte
j of each for secret byte j.
"""
import hashlib

CASES = [(2, 2), (3, 5), (5, 9), (8, 15), (128, 255)]


def gf_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return r


def stream(label, length):
    out = b""
    ctr = 0
    while len(out) < length:
        out += hashlib.sha256(b"%s %d" % (label, ctr)).digest()
        ctr += 1
    return out[:length]


def f(x, coeffs):
    # coeffs[0] is the secret byte; sum of coeffs[i] * x^i
    r, xi = 0, 1
    for a in coeffs:
        r ^= gf_mul(a, xi)
        xi = gf_mul(xi, x)
    return r


def main():
    print("# Known answers for kr_shamir_split(); made by mkshamir-kat.py")
    print("# (an independent reference after draft-mcgrew-tss-03 section 3).")
    print("# random: the generator's bytes, coefficient of x^1 first, 32 each.")
    for m, n in CASES:
        label = b"keyrite shamir kat %d-of-%d" % (m, n)
        secret = stream(label + b" secret", 32)
        rnd = stream(label + b" random", 32 * (m - 1))
        print()
        print("m = %d" % m)
        print("n = %d" % n)
        print("secret = %s" % secret.hex())
        print("random = %s" % rnd.hex())
        for x in range(1, n + 1):
            y = bytes(
                f(x, [secret[j]] + [rnd[32 * k + j] for k in range(m - 1)])
                for j in range(32))
            print("share = %02x %s" % (x, y.hex()))


if __name__ == "__main__":
    main()
