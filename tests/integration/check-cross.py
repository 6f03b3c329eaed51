#!/usr/bin/python3
# check-cross.py ISSUER.pem CROSS.pem SUBJECT.pem PATHLEN
#
# What tests/integration/t-cross-sign.sh asks of python3-cryptography
# (Debian's package, run with /usr/bin/python3), a verifier nobody here
# wrote, about a cross-certificate CROSS that ISSUER made for the CA whose
# own certificate is SUBJECT:
#   - the subject and the subjectPublicKeyInfo are SUBJECT's, byte for
#     byte (the raw DER in both TBSCertificates);
#   - the issuer is ISSUER's subject, byte for byte;
#   - subjectKeyIdentifier = SUBJECT's own; authorityKeyIdentifier =
#     ISSUER's subjectKeyIdentifier, keyIdentifier only;
#   - basicConstraints critical, cA TRUE, pathLenConstraint = PATHLEN;
#   - keyUsage critical: keyCertSign and cRLSign, nothing else;
#   - notAfter not after ISSUER's.
# Prints one line per check; exits 1 at the first that fails.
import sys

from cryptography import x509


def tlv(buf, off):
    """(tag, start of value, end of value) of the DER element at off."""
    tag = buf[off]
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    return tag, off, off + n


def parts_of_tbs(tbs):
    """[serial, signature, issuer, validity, subject, spki, ...], raw DER."""
    _, v, e = tlv(tbs, 0)
    out = []
    while v < e:
        _, s, n = tlv(tbs, v)
        out.append(tbs[v:n])
        v = n
    return out[1:] if out[0][0] == 0xA0 else out


def load(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


def main():
    issuer, cross, subject = (load(p) for p in sys.argv[1:4])
    pathlen = int(sys.argv[4])
    ct = parts_of_tbs(cross.tbs_certificate_bytes)
    st = parts_of_tbs(subject.tbs_certificate_bytes)
    it = parts_of_tbs(issuer.tbs_certificate_bytes)
    check(ct[4] == st[4], "subject is the CA's, byte for byte")
    check(ct[5] == st[5], "subjectPublicKeyInfo is the CA's, byte for byte")
    check(ct[2] == it[4], "issuer is the issuing root's subject, byte for "
          "byte")
    ext = cross.extensions
    ski = ext.get_extension_for_class(x509.SubjectKeyIdentifier)
    sski = subject.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier)
    iski = issuer.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier)
    check(ski.value.digest == sski.value.digest and not ski.critical,
          "subjectKeyIdentifier kept: %s" % ski.value.digest.hex())
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    check(aki.value.key_identifier == iski.value.digest and
          aki.value.authority_cert_issuer is None and
          aki.value.authority_cert_serial_number is None and
          not aki.critical,
          "authorityKeyIdentifier = issuer's SKI %s" %
          iski.value.digest.hex())
    bc = ext.get_extension_for_class(x509.BasicConstraints)
    check(bc.critical and bc.value.ca and bc.value.path_length == pathlen,
          "basicConstraints critical, CA:TRUE, pathlen:%d" % pathlen)
    ku = ext.get_extension_for_class(x509.KeyUsage)
    v = ku.value
    check(ku.critical and v.key_cert_sign and v.crl_sign and
          not v.digital_signature and not v.content_commitment and
          not v.key_encipherment and not v.data_encipherment and
          not v.key_agreement,
          "keyUsage critical: keyCertSign, cRLSign only")
    check(cross.not_valid_after <= issuer.not_valid_after,
          "notAfter %s not after the issuer's %s" %
          (cross.not_valid_after, issuer.not_valid_after))


main()
