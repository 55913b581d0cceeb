package wire

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// ErrSASL is wrapped by every client-side SASL failure (bad server
// messages, a server signature that does not verify).
var ErrSASL = errors.New("samsa: SASL authentication failed")

// Plain returns the SASL/PLAIN mechanism (RFC 4616) for a user and
// password. PLAIN sends the password in the clear: use it with TLS. The
// returned Mechanism is safe for concurrent use.
func Plain(user, password string) Mechanism { return plain{user: user, pass: password} }

type plain struct{ user, pass string }

func (plain) Name() string { return "PLAIN" }

func (p plain) Authenticate(context.Context, string) (Session, []byte, error) {
	// authzid (empty) NUL authcid NUL passwd
	msg := make([]byte, 0, 2+len(p.user)+len(p.pass))
	msg = append(msg, 0)
	msg = append(msg, p.user...)
	msg = append(msg, 0)
	msg = append(msg, p.pass...)
	return plainSession{}, msg, nil
}

type plainSession struct{}

// Challenge accepts the broker's (empty) answer to the single PLAIN
// message: SaslAuthenticate already reported success.
func (plainSession) Challenge([]byte) (bool, []byte, error) { return true, nil, nil }

// ScramSHA256 returns the SCRAM-SHA-256 mechanism (RFC 7677) for a user
// and password. Like the Java client it uses the password's UTF-8 bytes
// as given (no SASLprep). Safe for concurrent use.
func ScramSHA256(user, password string) Mechanism {
	return scram{name: "SCRAM-SHA-256", newHash: sha256.New, user: user, pass: password, nonce: randomNonce}
}

// ScramSHA512 returns the SCRAM-SHA-512 mechanism for a user and password.
// Safe for concurrent use.
func ScramSHA512(user, password string) Mechanism {
	return scram{name: "SCRAM-SHA-512", newHash: sha512.New, user: user, pass: password, nonce: randomNonce}
}

// Kafka's bounds on SCRAM iteration counts; a server asking for more is
// refused, which also keeps a hostile broker from burning CPU.
const (
	scramMinIterations = 4096
	scramMaxIterations = 16384
)

type scram struct {
	name    string
	newHash func() hash.Hash
	user    string
	pass    string
	nonce   func() (string, error)
}

func (s scram) Name() string { return s.name }

func randomNonce() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// scramEscape escapes a user name for the n= attribute (RFC 5802 §5.1).
var scramEscape = strings.NewReplacer("=", "=3D", ",", "=2C")

func (s scram) Authenticate(context.Context, string) (Session, []byte, error) {
	nonce, err := s.nonce()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: generating a nonce: %w", ErrSASL, err)
	}
	bare := "n=" + scramEscape.Replace(s.user) + ",r=" + nonce
	sess := &scramSession{m: s, clientNonce: nonce, clientFirstBare: bare}
	return sess, []byte("n,," + bare), nil
}

// scramSession walks client-first → server-first → client-final →
// server-final.
type scramSession struct {
	m               scram
	clientNonce     string
	clientFirstBare string
	serverSignature []byte // set after client-final is built
}

func (s *scramSession) Challenge(challenge []byte) (bool, []byte, error) {
	if s.serverSignature == nil {
		final, err := s.clientFinal(string(challenge))
		return false, final, err
	}
	return true, nil, s.verifyServerFinal(string(challenge))
}

// scramAttrs parses "a=value,b=value" into a map; values may contain '='.
func scramAttrs(msg string) (map[byte]string, error) {
	attrs := make(map[byte]string)
	for _, part := range strings.Split(msg, ",") {
		if len(part) < 2 || part[1] != '=' {
			return nil, fmt.Errorf("%w: malformed SCRAM attribute %q", ErrSASL, part)
		}
		if _, dup := attrs[part[0]]; !dup {
			attrs[part[0]] = part[2:]
		}
	}
	return attrs, nil
}

func (s *scramSession) clientFinal(serverFirst string) ([]byte, error) {
	attrs, err := scramAttrs(serverFirst)
	if err != nil {
		return nil, err
	}
	if e, ok := attrs['e']; ok {
		return nil, fmt.Errorf("%w: server error %q", ErrSASL, e)
	}
	if _, ok := attrs['m']; ok {
		return nil, fmt.Errorf("%w: server requires an unsupported SCRAM extension", ErrSASL)
	}
	nonce := attrs['r']
	if len(nonce) <= len(s.clientNonce) || !strings.HasPrefix(nonce, s.clientNonce) {
		return nil, fmt.Errorf("%w: server nonce does not extend the client nonce", ErrSASL)
	}
	salt, err := base64.StdEncoding.DecodeString(attrs['s'])
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: bad salt %q", ErrSASL, attrs['s'])
	}
	iters, err := strconv.Atoi(attrs['i'])
	if err != nil || iters < scramMinIterations || iters > scramMaxIterations {
		return nil, fmt.Errorf("%w: iteration count %q outside [%d, %d]", ErrSASL, attrs['i'],
			scramMinIterations, scramMaxIterations)
	}

	h := s.m.newHash
	salted, err := pbkdf2.Key(h, s.m.pass, salt, iters, h().Size())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSASL, err)
	}
	clientKey := hmacSum(h, salted, "Client Key")
	storedKey := h()
	storedKey.Write(clientKey)
	withoutProof := "c=biws,r=" + nonce // biws = base64("n,,")
	authMessage := s.clientFirstBare + "," + serverFirst + "," + withoutProof
	clientSig := hmacSum(h, storedKey.Sum(nil), authMessage)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ clientSig[i]
	}
	serverKey := hmacSum(h, salted, "Server Key")
	s.serverSignature = hmacSum(h, serverKey, authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (s *scramSession) verifyServerFinal(serverFinal string) error {
	attrs, err := scramAttrs(serverFinal)
	if err != nil {
		return err
	}
	if e, ok := attrs['e']; ok {
		return fmt.Errorf("%w: server error %q", ErrSASL, e)
	}
	got, err := base64.StdEncoding.DecodeString(attrs['v'])
	if err != nil || subtle.ConstantTimeCompare(got, s.serverSignature) != 1 {
		return fmt.Errorf("%w: the server signature does not verify", ErrSASL)
	}
	return nil
}

func hmacSum(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
