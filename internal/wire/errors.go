package wire

import (
	"errors"
	"fmt"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrNotSent is wrapped, next to a samsa sentinel, by the error of a
// request that never reached the socket: the connection was already dead,
// or the request's deadline passed while it waited for an in-flight slot.
// Such a request is always safe to retry; errors without it may belong to a
// request the broker has processed.
var ErrNotSent = errors.New("samsa: request was not sent")

// UnsupportedAPIError reports that a broker and samsa share no version of
// an API. It wraps samsa.ErrUnsupportedVersion.
type UnsupportedAPIError struct {
	// Key is the API key, Name its protocol name ("Produce", "Fetch", ...).
	Key  int16
	Name string
	// BrokerMin and BrokerMax are the broker's advertised range; both are
	// -1 when the broker does not know the API at all.
	BrokerMin, BrokerMax int16
	// ClientMax is the highest version samsa would send: the request
	// type's maximum capped by Options.MaxVersions.
	ClientMax int16
	// Addr is the broker's address.
	Addr string
}

func (e *UnsupportedAPIError) Error() string {
	if e.BrokerMax < 0 {
		return fmt.Sprintf("samsa: broker %s does not support %s (key %d)", e.Addr, e.Name, e.Key)
	}
	return fmt.Sprintf("samsa: broker %s supports %s (key %d) v%d..v%d, samsa sends at most v%d",
		e.Addr, e.Name, e.Key, e.BrokerMin, e.BrokerMax, e.ClientMax)
}

// Unwrap returns samsa.ErrUnsupportedVersion.
func (e *UnsupportedAPIError) Unwrap() error { return samsa.ErrUnsupportedVersion }

// BrokerError is a non-zero error code a broker returned during the
// connection handshake (ApiVersions, SaslHandshake, SaslAuthenticate). It
// unwraps to the code's kerr value, so errors.Is(err,
// kerr.SASLAuthenticationFailed) holds.
type BrokerError struct {
	Addr    string
	API     string // "ApiVersions", "SaslHandshake", "SaslAuthenticate"
	Code    int16
	Message string // the broker's error message, if it sent one
}

func (e *BrokerError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("samsa: broker %s answered %s with error code %d: %s", e.Addr, e.API, e.Code, e.Message)
	}
	return fmt.Sprintf("samsa: broker %s answered %s with error code %d", e.Addr, e.API, e.Code)
}

// keyName returns the protocol name of an API key, or "key N" for keys
// kmsg does not know.
// Unwrap returns the kerr value of Code.
func (e *BrokerError) Unwrap() error {
	if ke := kerr.ForCode(e.Code); ke != nil {
		return ke
	}
	return nil
}

func keyName(key int16) string {
	if n := kmsg.NameForKey(key); n != "" && n != "Unknown" {
		return n
	}
	return fmt.Sprintf("key %d", key)
}
