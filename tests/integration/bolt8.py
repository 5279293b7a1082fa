"""A BOLT #8 implementation of the tests' own, written from the spec and
independent of proto/noise.c: secp256k1 in plain Python integers,
ChaCha20-Poly1305 (and the ECDSA signatures of sign()) from the
`cryptography` package (Debian's python3-cryptography), SHA-256 and HMAC
from the standard library. It is
checked against BOLT #8 Appendix A (test_bolt8_vectors.py) and then
speaks to the daemons: a stranger, an attacker, or an honest peer."""
import functools
import hashlib
import hmac
import socket
import struct

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def _mul(k, pt):
    r = None
    while k:
        if k & 1:
            r = _add(r, pt)
        pt = _add(pt, pt)
        k >>= 1
    return r


def compress(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def decompress(b):
    if len(b) != 33 or b[0] not in (2, 3):
        raise ValueError("not a compressed point")
    x = int.from_bytes(b[1:], "big")
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P:
        raise ValueError("not on the curve")
    if (y & 1) != b[0] - 2:
        y = P - y
    return (x, y)


@functools.lru_cache(maxsize=64)
def pubkey(priv):
    return compress(_mul(int.from_bytes(priv, "big"), G))


def sign(priv, digest):
    """A compact ECDSA signature (r || s, low s) of a 32-byte digest, as
    libsecp256k1 checks it (docs/protocol.md, "Signed terms"); made with
    the `cryptography` package, fast enough for thousands of adds."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    r, s = utils.decode_dss_signature(_signing_key(priv).sign(
        digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    return r.to_bytes(32, "big") + min(s, N - s).to_bytes(32, "big")


@functools.lru_cache(maxsize=64)
def _signing_key(priv):
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.derive_private_key(int.from_bytes(priv, "big"), ec.SECP256K1())


def ecdh(priv, pub):
    return hashlib.sha256(compress(_mul(int.from_bytes(priv, "big"), decompress(pub)))).digest()


def _sha(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def hkdf(salt, ikm):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    t1 = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    t2 = hmac.new(prk, t1 + b"\x02", hashlib.sha256).digest()
    return t1, t2


def _nonce(n):
    return b"\x00" * 4 + struct.pack("<Q", n)


def encrypt(k, n, ad, plain):
    return ChaCha20Poly1305(k).encrypt(_nonce(n), plain, ad)


def decrypt(k, n, ad, cipher):
    return ChaCha20Poly1305(k).decrypt(_nonce(n), cipher, ad)   # raises InvalidTag


class HandshakeFailed(Exception):
    pass


class Handshake:
    """Noise_XK_secp256k1_ChaChaPoly_SHA256 as BOLT #8 writes it."""

    def __init__(self, ls_priv, rs_pub=None):
        self.ls_priv, self.ls_pub = ls_priv, pubkey(ls_priv)
        self.h = _sha(b"Noise_XK_secp256k1_ChaChaPoly_SHA256")
        self.ck = self.h
        self.h = _sha(self.h, b"lightning")
        # XK: the responder's static key is known to both before act one
        self.rs_pub = rs_pub
        self.h = _sha(self.h, rs_pub if rs_pub else self.ls_pub)

    # initiator
    def act1(self, e_priv):
        self.e_priv, e_pub = e_priv, pubkey(e_priv)
        self.h = _sha(self.h, e_pub)
        self.ck, self.temp_k1 = hkdf(self.ck, ecdh(e_priv, self.rs_pub))
        c = encrypt(self.temp_k1, 0, self.h, b"")
        self.h = _sha(self.h, c)
        return b"\x00" + e_pub + c

    def _read_ephemeral_act(self, m, priv, name):
        """Acts one and two: version, the other side's ephemeral key, a
        MAC under the key their ECDH with priv gives. Returns that key."""
        if len(m) != 50 or m[0] != 0:
            raise HandshakeFailed("act %s: bad version" % name)
        re, c = m[1:34], m[34:]
        self.h = _sha(self.h, re)
        try:
            self.ck, temp_k = hkdf(self.ck, ecdh(priv, re))
            decrypt(temp_k, 0, self.h, c)
        except Exception as e:
            raise HandshakeFailed("act %s: %s" % (name, e.__class__.__name__))
        self.h = _sha(self.h, c)
        self.re = re
        return temp_k

    def read_act2(self, m):
        self.temp_k2 = self._read_ephemeral_act(m, self.e_priv, "two")

    def act3(self):
        c = encrypt(self.temp_k2, 1, self.h, self.ls_pub)
        self.h = _sha(self.h, c)
        self.ck, temp_k3 = hkdf(self.ck, ecdh(self.ls_priv, self.re))
        t = encrypt(temp_k3, 0, self.h, b"")
        sk, rk = hkdf(self.ck, b"")
        return b"\x00" + c + t, Cipher(sk, rk, self.ck)

    # responder
    def read_act1(self, m):
        self.temp_k1 = self._read_ephemeral_act(m, self.ls_priv, "one")

    def act2(self, e_priv):
        self.e_priv, e_pub = e_priv, pubkey(e_priv)
        self.h = _sha(self.h, e_pub)
        self.ck, self.temp_k2 = hkdf(self.ck, ecdh(e_priv, self.re))
        c = encrypt(self.temp_k2, 0, self.h, b"")
        self.h = _sha(self.h, c)
        return b"\x00" + e_pub + c

    def read_act3(self, m):
        if len(m) != 66 or m[0] != 0:
            raise HandshakeFailed("act three: bad version")
        c, t = m[1:50], m[50:]
        try:
            rs = decrypt(self.temp_k2, 1, self.h, c)
            self.h = _sha(self.h, c)
            self.ck, temp_k3 = hkdf(self.ck, ecdh(self.e_priv, rs))
            decrypt(temp_k3, 0, self.h, t)
        except Exception as e:
            raise HandshakeFailed("act three: %s" % e.__class__.__name__)
        rk, sk = hkdf(self.ck, b"")
        return rs, Cipher(sk, rk, self.ck)


class _Key:
    def __init__(self, k, ck):
        self.k, self.ck, self.n = k, ck, 0

    def used(self):
        self.n += 1
        if self.n == 1000:
            self.ck, self.k = hkdf(self.ck, self.k)
            self.n = 0


class Cipher:
    def __init__(self, sk, rk, ck):
        self.send, self.recv = _Key(sk, ck), _Key(rk, ck)

    def encrypt_msg(self, body):
        lc = encrypt(self.send.k, self.send.n, b"", struct.pack(">H", len(body)))
        self.send.used()
        c = encrypt(self.send.k, self.send.n, b"", body)
        self.send.used()
        return lc + c

    def decrypt_len(self, lc):
        n = struct.unpack(">H", decrypt(self.recv.k, self.recv.n, b"", lc))[0]
        self.recv.used()
        return n

    def decrypt_body(self, c):
        m = decrypt(self.recv.k, self.recv.n, b"", c)
        self.recv.used()
        return m


def _recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


class Conn:
    """A BOLT #8 connection over a socket, as initiator (connect) or as
    responder (accept)."""

    def __init__(self, sock, cipher, remote):
        self.sock, self.cipher, self.remote = sock, cipher, remote

    @classmethod
    def connect(cls, port, node_id_hex, ls_priv, e_priv, timeout=5.0):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        hs = Handshake(ls_priv, bytes.fromhex(node_id_hex))
        s.sendall(hs.act1(e_priv))
        hs.read_act2(_recv_exact(s, 50))
        act3, cipher = hs.act3()
        s.sendall(act3)
        return cls(s, cipher, bytes.fromhex(node_id_hex))

    @classmethod
    def accept(cls, listener, ls_priv, e_priv, timeout=10.0):
        listener.settimeout(timeout)
        s, _ = listener.accept()
        s.settimeout(timeout)
        hs = Handshake(ls_priv)
        hs.read_act1(_recv_exact(s, 50))
        s.sendall(hs.act2(e_priv))
        rs, cipher = hs.read_act3(_recv_exact(s, 66))
        return cls(s, cipher, rs)

    def send(self, body):
        self.sock.sendall(self.cipher.encrypt_msg(body))

    def recv(self):
        n = self.cipher.decrypt_len(_recv_exact(self.sock, 18))
        return self.cipher.decrypt_body(_recv_exact(self.sock, n + 16))

    def close(self):
        self.sock.close()
