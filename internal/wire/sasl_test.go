package wire

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strings"
	"sync"
	"testing"

	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/samsa-go/samsa/kerr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RFC 7677 §3: the SCRAM-SHA-256 example exchange.
func TestScramSHA256RFC7677Vector(t *testing.T) {
	m := ScramSHA256("user", "pencil").(scram)
	m.nonce = func() (string, error) { return "rOprNGfwEbeRWgbNEkqO", nil }
	sess, first, err := m.Authenticate(context.Background(), "broker")
	require.NoError(t, err)
	assert.Equal(t, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", string(first))

	done, final, err := sess.Challenge([]byte("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", string(final))

	done, _, err = sess.Challenge([]byte("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
	require.NoError(t, err)
	assert.True(t, done)
}

func TestScramClientRejectsBadServers(t *testing.T) {
	const nonce = "abc"
	tests := []struct {
		name        string
		serverFirst string
		serverFinal string
	}{
		{"server error", "e=invalid-proof", ""},
		{"nonce not extended", "r=xyz123,s=c2FsdA==,i=4096", ""},
		{"nonce equal", "r=abc,s=c2FsdA==,i=4096", ""},
		{"bad salt", "r=abcdef,s=!!!,i=4096", ""},
		{"too few iterations", "r=abcdef,s=c2FsdA==,i=1", ""},
		{"too many iterations", "r=abcdef,s=c2FsdA==,i=100000000", ""},
		{"malformed attribute", "garbage", ""},
		{"mandatory extension", "m=ext,r=abcdef,s=c2FsdA==,i=4096", ""},
		{"wrong server signature", "r=abcdef,s=c2FsdA==,i=4096", "v=AAAA"},
		{"server final error", "r=abcdef,s=c2FsdA==,i=4096", "e=other-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ScramSHA512("u", "p").(scram)
			m.nonce = func() (string, error) { return nonce, nil }
			sess, _, err := m.Authenticate(context.Background(), "b")
			require.NoError(t, err)
			_, _, err = sess.Challenge([]byte(tt.serverFirst))
			if tt.serverFinal == "" {
				require.ErrorIs(t, err, ErrSASL)
				return
			}
			require.NoError(t, err)
			_, _, err = sess.Challenge([]byte(tt.serverFinal))
			require.ErrorIs(t, err, ErrSASL)
		})
	}
}

// scramServer is a SCRAM server for one user, enough to check the client
// against an independent implementation of RFC 5802's server side.
type scramServer struct {
	newHash   func() hash.Hash
	user      string
	pass      string
	salt      []byte
	iters     int
	mu        sync.Mutex
	firstBare string
	srvFirst  string
}

func (s *scramServer) mac(key []byte, msg string) []byte {
	m := hmac.New(s.newHash, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// step answers one SaslAuthenticate message: client-first or client-final.
func (s *scramServer) step(msg string) ([]byte, int16, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srvFirst == "" {
		if !strings.HasPrefix(msg, "n,,") {
			return nil, 58, "bad gs2 header"
		}
		s.firstBare = msg[3:]
		attrs, err := scramAttrs(s.firstBare)
		if err != nil || attrs['n'] != s.user {
			return nil, 58, "unknown user"
		}
		s.srvFirst = "r=" + attrs['r'] + "SERVERNONCE,s=" + base64.StdEncoding.EncodeToString(s.salt) + ",i=4096"
		return []byte(s.srvFirst), 0, ""
	}
	attrs, err := scramAttrs(msg)
	if err != nil {
		return nil, 58, "bad final"
	}
	withoutProof := msg[:strings.LastIndex(msg, ",p=")]
	salted, _ := pbkdf2.Key(s.newHash, s.pass, s.salt, s.iters, s.newHash().Size())
	clientKey := s.mac(salted, "Client Key")
	h := s.newHash()
	h.Write(clientKey)
	authMsg := s.firstBare + "," + s.srvFirst + "," + withoutProof
	sig := s.mac(h.Sum(nil), authMsg)
	proof, _ := base64.StdEncoding.DecodeString(attrs['p'])
	recovered := make([]byte, len(sig))
	for i := range sig {
		if i < len(proof) {
			recovered[i] = proof[i] ^ sig[i]
		}
	}
	h2 := s.newHash()
	h2.Write(recovered)
	if !bytes.Equal(h2.Sum(nil), h.Sum(nil)) {
		return nil, 58, "Authentication failed during authentication due to invalid credentials with SASL mechanism"
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(s.mac(s.mac(salted, "Server Key"), authMsg))), 0, ""
}

// saslBroker serves SaslHandshake for the given mechanisms and delegates
// SaslAuthenticate to auth; Metadata is echoed once authenticated.
func saslBroker(t *testing.T, mechanisms []string, auth func(msg []byte) ([]byte, int16, string)) *wiretest.Server {
	var mu sync.Mutex
	authed := false
	return wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		switch r.Key {
		case 17:
			req := r.Req.(*kmsg.SASLHandshakeRequest)
			resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
			resp.SupportedMechanisms = mechanisms
			resp.ErrorCode = 33 // UNSUPPORTED_SASL_MECHANISM
			for _, m := range mechanisms {
				if m == req.Mechanism {
					resp.ErrorCode = 0
				}
			}
			return wiretest.Reply{Resp: resp}
		case 36:
			req := r.Req.(*kmsg.SASLAuthenticateRequest)
			resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
			out, code, msg := auth(req.SASLAuthBytes)
			resp.SASLAuthBytes, resp.ErrorCode = out, code
			if msg != "" {
				resp.ErrorMessage = &msg
			}
			if code == 0 {
				mu.Lock()
				authed = true
				mu.Unlock()
			}
			return wiretest.Reply{Resp: resp}
		case 3:
			mu.Lock()
			defer mu.Unlock()
			if !authed {
				return wiretest.Reply{Close: true}
			}
			return wiretest.Reply{Resp: echoMetadata(r)}
		}
		return wiretest.Reply{}
	})
}

func TestSASL(t *testing.T) {
	salt := []byte("0123456789abcdef")
	tests := []struct {
		name     string
		mech     Mechanism
		server   func() func([]byte) ([]byte, int16, string)
		wantCode int16 // 0 = success
	}{
		{"PLAIN", Plain("alice", "s3cret"), func() func([]byte) ([]byte, int16, string) {
			return func(msg []byte) ([]byte, int16, string) {
				if string(msg) != "\x00alice\x00s3cret" {
					return nil, 58, "bad credentials"
				}
				return nil, 0, ""
			}
		}, 0},
		{"PLAIN wrong password", Plain("alice", "nope"), func() func([]byte) ([]byte, int16, string) {
			return func(msg []byte) ([]byte, int16, string) {
				if string(msg) != "\x00alice\x00s3cret" {
					return nil, 58, "bad credentials"
				}
				return nil, 0, ""
			}
		}, 58},
		{"SCRAM-SHA-256", ScramSHA256("bob", "hunter2"), func() func([]byte) ([]byte, int16, string) {
			s := &scramServer{newHash: sha256.New, user: "bob", pass: "hunter2", salt: salt, iters: 4096}
			return func(m []byte) ([]byte, int16, string) { return s.step(string(m)) }
		}, 0},
		{"SCRAM-SHA-512", ScramSHA512("b=o,b", "hunter2"), func() func([]byte) ([]byte, int16, string) {
			s := &scramServer{newHash: sha512.New, user: "b=3Do=2Cb", pass: "hunter2", salt: salt, iters: 4096}
			return func(m []byte) ([]byte, int16, string) { return s.step(string(m)) }
		}, 0},
		{"SCRAM-SHA-512 wrong password", ScramSHA512("bob", "wrong"), func() func([]byte) ([]byte, int16, string) {
			s := &scramServer{newHash: sha512.New, user: "bob", pass: "hunter2", salt: salt, iters: 4096}
			return func(m []byte) ([]byte, int16, string) { return s.step(string(m)) }
		}, 58},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := saslBroker(t, []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, tt.server())
			c, err := Dial(context.Background(), s.Addr(), Options{SASL: tt.mech})
			if tt.wantCode != 0 {
				var be *BrokerError
				require.ErrorAs(t, err, &be)
				assert.Equal(t, tt.wantCode, be.Code)
				assert.ErrorIs(t, err, kerr.SASLAuthenticationFailed)
				assert.Equal(t, "SaslAuthenticate", be.API)
				assert.NotEmpty(t, be.Message)
				return
			}
			require.NoError(t, err)
			defer c.Close()
			resp, err := c.Do(context.Background(), metadataReq("authed"))
			require.NoError(t, err)
			assert.Equal(t, "authed", topicOf(t, resp))
		})
	}

	t.Run("mechanism not enabled", func(t *testing.T) {
		s := saslBroker(t, []string{"GSSAPI"}, nil)
		_, err := Dial(context.Background(), s.Addr(), Options{SASL: Plain("a", "b")})
		var be *BrokerError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, "SaslHandshake", be.API)
		assert.ErrorIs(t, err, kerr.UnsupportedSASLMechanism)
		assert.Contains(t, be.Message, "GSSAPI")
	})

	t.Run("broker without SaslAuthenticate", func(t *testing.T) {
		versions := wiretest.DefaultVersions()
		delete(versions, 36)
		s := wiretest.NewServer(t, versions, nil)
		_, err := Dial(context.Background(), s.Addr(), Options{SASL: Plain("a", "b")})
		var ue *UnsupportedAPIError
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, int16(36), ue.Key)
	})
}
