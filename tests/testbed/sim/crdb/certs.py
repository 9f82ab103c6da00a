"""`cert create-ca | create-node | create-client` (pkg/security/certs.go of CockroachDB v20.1, kept by KWDB).

Real PEM files made with the host's `openssl` (Debian's ca-certificates depends on it): RSA keys in PKCS#1
(`RSA PRIVATE KEY`, mode 0600), certificates mode 0644, CA `O=Cockroach, CN=Cockroach CA` (10 x 366 days),
node `CN=node` with the hosts as subject alternative names and client `CN=<user>` (5 x 366 days). Error
texts are the real ones (certs.go, and the `open <path>: file exists` of an O_EXCL open).
"""
import os
import shutil
import subprocess
import tempfile

CA_DAYS = 10 * 366
CERT_DAYS = 5 * 366
DEFAULT_KEY_SIZE = 2048
ORGANIZATION = "Cockroach"


class CertError(Exception):
    """Printed by the CLI after the command's `failed to generate ...` prefix."""


def _openssl(*args, stdin=None):
    if shutil.which("openssl") is None:
        raise CertError("openssl not found: the testbed simulator writes certificates with openssl")
    run = subprocess.run(["openssl"] + list(args), input=stdin, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise CertError("openssl %s failed: %s" % (args[0], run.stderr.strip()))
    return run.stdout


def _check_paths(certs_dir, ca_key):
    if not ca_key:
        raise CertError("the path to the CA key is required")
    if not certs_dir:
        raise CertError("the path to the certs directory is required")
    os.makedirs(os.path.expandvars(certs_dir), mode=0o700, exist_ok=True)
    return os.path.expandvars(ca_key)


def _write_pem(path, text, mode, overwrite):
    """WritePEMToFile: O_EXCL unless overwriting."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, mode)
    except OSError as error:  # Go's text: `open <path>: file exists`, `...: no such file or directory`
        raise CertError("open %s: %s" % (path, os.strerror(error.errno).lower())) from None
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _new_key(key_size):
    return _openssl("genrsa", "-traditional", str(key_size))


def _sign(subject, days, extensions, key_pem, ca=None):
    """A certificate for ``key_pem``: self-signed, or signed by ``ca`` = (cert path, key path)."""
    with tempfile.TemporaryDirectory() as scratch:
        key_path = os.path.join(scratch, "subject.key")
        ext_path = os.path.join(scratch, "ext.cnf")
        with open(key_path, "w") as out:
            out.write(key_pem)
        with open(ext_path, "w") as out:
            out.write("[ext]\n" + "".join("%s = %s\n" % item for item in extensions))
        if ca is None:
            return _openssl("req", "-new", "-x509", "-sha256", "-key", key_path, "-subj", subject, "-days", str(days),
                            "-config", ext_path, "-extensions", "ext", "-set_serial", _serial())
        csr = _openssl("req", "-new", "-sha256", "-key", key_path, "-subj", subject, "-config", ext_path)
        return _openssl("x509", "-req", "-sha256", "-CA", ca[0], "-CAkey", ca[1], "-set_serial", _serial(),
                        "-days", str(days), "-extfile", ext_path, "-extensions", "ext", stdin=csr)


def _serial():
    return "0x%x" % (int.from_bytes(os.urandom(16), "big") | (1 << 120))


def create_ca(certs_dir, ca_key, key_size=DEFAULT_KEY_SIZE, allow_key_reuse=False, overwrite=False):
    ca_key = _check_paths(certs_dir, ca_key)
    if os.path.exists(ca_key):
        if not allow_key_reuse:
            raise CertError("CA key %s exists, but key reuse is disabled" % ca_key)
        with open(ca_key) as source:
            key = source.read()
    else:
        key = _new_key(key_size)
        try:
            _write_pem(ca_key, key, 0o600, overwrite)
        except CertError as error:
            raise CertError("could not write CA key to file %s: %s" % (ca_key, error)) from None
    cert = _sign("/O=%s/CN=Cockroach CA" % ORGANIZATION, CA_DAYS,
                 [("basicConstraints", "critical,CA:TRUE"),
                  ("keyUsage", "critical,digitalSignature,keyEncipherment,keyCertSign,nonRepudiation")], key)
    cert_path = os.path.join(certs_dir, "ca.crt")
    existing = ""
    if os.path.exists(cert_path):
        with open(cert_path) as source:
            existing = source.read()
    try:
        _write_pem(cert_path, cert + existing, 0o644, overwrite)
    except CertError as error:
        raise CertError("could not write CA certificate file %s: %s" % (cert_path, error)) from None


def _signed_pair(certs_dir, ca_key, key_size, subject, extensions, names, overwrite):
    """(cert, key) files ``names`` in certs_dir for a new key signed by the CA; ``names`` = (cert, key, what)."""
    ca_key = _check_paths(certs_dir, ca_key)
    ca_cert = os.path.join(certs_dir, "ca.crt")
    for path in (ca_cert, ca_key):
        if not os.path.exists(path):
            raise CertError("error loading CA certificate %s and key %s: open %s: no such file or directory"
                            % (ca_cert, ca_key, path))
    key = _new_key(key_size)
    cert = _sign(subject, CERT_DAYS, extensions, key, ca=(ca_cert, ca_key))
    cert_path, key_path, what = (os.path.join(certs_dir, names[0]), os.path.join(certs_dir, names[1]), names[2])
    try:
        _write_pem(cert_path, cert, 0o644, overwrite)
    except CertError as error:
        raise CertError("error writing %s certificate to %s: %s" % (what, cert_path, error)) from None
    try:
        _write_pem(key_path, key, 0o600, overwrite)
    except CertError as error:
        raise CertError("error writing %s key to %s: %s" % (what, key_path, error)) from None


def _alt_name(host):
    parts = host.split(".")
    numeric = ":" in host or (len(parts) == 4 and all(p.isdigit() for p in parts))
    return ("IP:%s" if numeric else "DNS:%s") % host


def create_node(certs_dir, ca_key, hosts, key_size=DEFAULT_KEY_SIZE, overwrite=False):
    extensions = [("keyUsage", "critical,digitalSignature,keyEncipherment"),
                  ("extendedKeyUsage", "serverAuth,clientAuth"),
                  ("subjectAltName", ",".join(_alt_name(h) for h in hosts))]
    _signed_pair(certs_dir, ca_key, key_size, "/O=%s/CN=node" % ORGANIZATION, extensions,
                 ("node.crt", "node.key", "node server"), overwrite)


def create_client(certs_dir, ca_key, user, key_size=DEFAULT_KEY_SIZE, overwrite=False):
    extensions = [("keyUsage", "critical,digitalSignature,keyEncipherment"), ("extendedKeyUsage", "clientAuth")]
    _signed_pair(certs_dir, ca_key, key_size, "/O=%s/CN=%s" % (ORGANIZATION, user), extensions,
                 ("client.%s.crt" % user, "client.%s.key" % user, "client"), overwrite)
