package wire

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Mechanism is a SASL mechanism. Implementations must be safe for
// concurrent use: one Mechanism authenticates every connection of a
// client. See [Plain], [ScramSHA256] and [ScramSHA512].
type Mechanism interface {
	// Name is the mechanism's name as sent in SaslHandshake, e.g.
	// "PLAIN" or "SCRAM-SHA-512".
	Name() string
	// Authenticate starts one authentication exchange with the broker at
	// host and returns the session and the client's first message.
	Authenticate(ctx context.Context, host string) (Session, []byte, error)
}

// Session is one authentication exchange. It is used by one goroutine.
type Session interface {
	// Challenge receives the broker's latest message and returns the
	// client's next one. done reports that the exchange is complete (the
	// broker's final message verified); response is then ignored.
	Challenge(challenge []byte) (done bool, response []byte, err error)
}

// maxSASLRounds bounds an exchange so a broker cannot keep a connection
// in authentication forever.
const maxSASLRounds = 16

// authenticate runs SaslHandshake (v1) and the SaslAuthenticate exchange
// (KIP-152). Brokers without SaslAuthenticate (before Kafka 1.0) are not
// supported: they get an *UnsupportedAPIError.
//
// A broker may set a session lifetime (KIP-368) after which it closes the
// connection; samsa does not re-authenticate, the pool dials anew.
func (c *Conn) authenticate(ctx context.Context) error {
	mech := c.opts.SASL
	name := mech.Name()
	if _, err := c.pick(36, kmsg.NewPtrSASLAuthenticateRequest().MaxVersion()); err != nil {
		return fmt.Errorf("samsa: SASL with broker %s needs SaslAuthenticate: %w", c.addr, err)
	}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Mechanism = name
	kresp, err := c.Do(ctx, hs)
	if err != nil {
		return fmt.Errorf("samsa: SaslHandshake with broker %s: %w", c.addr, err)
	}
	hsResp, ok := kresp.(*kmsg.SASLHandshakeResponse)
	if !ok {
		return fmt.Errorf("samsa: SaslHandshake with broker %s: unexpected response %T", c.addr, kresp)
	}
	if hsResp.ErrorCode != 0 {
		return &BrokerError{Addr: c.addr, API: "SaslHandshake", Code: hsResp.ErrorCode,
			Message: fmt.Sprintf("mechanism %s not enabled; the broker offers %s", name,
				strings.Join(hsResp.SupportedMechanisms, ", "))}
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		host = c.addr
	}
	sess, msg, err := mech.Authenticate(ctx, host)
	if err != nil {
		return fmt.Errorf("samsa: SASL %s with broker %s: %w", name, c.addr, err)
	}
	for range maxSASLRounds {
		auth := kmsg.NewPtrSASLAuthenticateRequest()
		auth.SASLAuthBytes = msg
		kresp, err := c.Do(ctx, auth)
		if err != nil {
			return fmt.Errorf("samsa: SaslAuthenticate (%s) with broker %s: %w", name, c.addr, err)
		}
		resp, ok := kresp.(*kmsg.SASLAuthenticateResponse)
		if !ok {
			return fmt.Errorf("samsa: SaslAuthenticate with broker %s: unexpected response %T", c.addr, kresp)
		}
		if resp.ErrorCode != 0 {
			be := &BrokerError{Addr: c.addr, API: "SaslAuthenticate", Code: resp.ErrorCode}
			if resp.ErrorMessage != nil {
				be.Message = *resp.ErrorMessage
			}
			return be
		}
		done, next, err := sess.Challenge(resp.SASLAuthBytes)
		if err != nil {
			return fmt.Errorf("samsa: SASL %s with broker %s: %w", name, c.addr, err)
		}
		if done {
			c.log.Debug("authenticated", "addr", c.addr, "mechanism", name)
			return nil
		}
		msg = next
	}
	return fmt.Errorf("samsa: SASL %s with broker %s did not finish within %d rounds", name, c.addr, maxSASLRounds)
}
