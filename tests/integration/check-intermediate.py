#!/usr/bin/python3
# check-intermediate.py ROOT.pem INTERMEDIATE.pem REQUEST.csr PATHLEN DIGSIG
#
# What tests/integration/t-sign-intermediate.sh asks of python3-cryptography
# (Debian's package, run with /usr/bin/python3), a verifier nobody here
# wrote:
#   - authorityKeyIdentifier of the intermediate = subjectKeyIdentifier of
#     the root, keyIdentifier only, non-critical;
#   - basicConstraints critical, cA TRUE, pathLenConstraint = PATHLEN;
#   - keyUsage critical: keyCertSign and cRLSign, digitalSignature as
#     DIGSIG (yes/no) says, nothing else;
#   - the subjectPublicKeyInfo is the request's, byte for byte: the raw
#     DER of the SPKI in the TBSCertificate and in the
#     CertificationRequestInfo (walked here with a small DER reader), and
#     the keys' own encodings too;
#   - the issuer is the root's subject, byte for byte.
# Prints one line per check; exits 1 at the first that fails.
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization


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


def children(buf, start, end):
    """The raw bytes of each element in buf[start:end]."""
    out = []
    while start < end:
        _, v, e = tlv(buf, start)
        out.append(buf[start:e])
        start = e
    return out


def spki_of_tbs(tbs):
    """(SubjectPublicKeyInfo, issuer) of a TBSCertificate, raw DER."""
    _, v, e = tlv(tbs, 0)
    parts = children(tbs, v, e)
    # [0] version, serial, signature, issuer, validity, subject, spki
    i = 1 if parts[0][0] == 0xA0 else 0
    return parts[i + 5], parts[i + 2]


def spki_of_request(info):
    _, v, e = tlv(info, 0)
    parts = children(info, v, e)
    # version, subject, spki, [0] attributes
    return parts[2]


def check(what, ok):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        sys.exit(1)


def main():
    root = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
    inter = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    raw = open(sys.argv[3], "rb").read()
    if raw.lstrip().startswith(b"-----"):
        csr = x509.load_pem_x509_csr(raw)
    else:
        csr = x509.load_der_x509_csr(raw)
    pathlen = int(sys.argv[4])
    digsig = sys.argv[5] == "yes"

    ext = inter.extensions
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    check("AKI = root SKI (%s)" % aki.value.key_identifier.hex(),
          aki.value.key_identifier == ski.value.digest)
    check("AKI keyIdentifier only, not critical",
          aki.value.authority_cert_issuer is None and
          aki.value.authority_cert_serial_number is None and
          not aki.critical)
    bc = ext.get_extension_for_class(x509.BasicConstraints)
    check("basicConstraints critical, CA, pathLen %d" % pathlen,
          bc.critical and bc.value.ca and bc.value.path_length == pathlen)
    ku = ext.get_extension_for_class(x509.KeyUsage)
    v = ku.value
    check("keyUsage critical: keyCertSign, cRLSign%s" %
          (", digitalSignature" if digsig else ""),
          ku.critical and v.key_cert_sign and v.crl_sign and
          v.digital_signature == digsig and not v.content_commitment and
          not v.key_encipherment and not v.data_encipherment and
          not v.key_agreement)
    spki_cert, issuer_raw = spki_of_tbs(inter.tbs_certificate_bytes)
    spki_req = spki_of_request(csr.tbs_certrequest_bytes)
    check("SPKI byte-identical to the request's (%d bytes)" % len(spki_req),
          spki_cert == spki_req)
    der = serialization.Encoding.DER
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    check("public keys equal",
          inter.public_key().public_bytes(der, fmt) ==
          csr.public_key().public_bytes(der, fmt))
    _, v, e = tlv(root.tbs_certificate_bytes, 0)
    rparts = children(root.tbs_certificate_bytes, v, e)
    i = 1 if rparts[0][0] == 0xA0 else 0
    check("issuer = root subject, byte for byte",
          issuer_raw == rparts[i + 4])


if __name__ == "__main__":
    main()
