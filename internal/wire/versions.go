package wire

import (
	"context"
	"fmt"

	"github.com/samsa-go/samsa"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxFallbacks bounds the ApiVersions retries after UNSUPPORTED_VERSION,
// so a broker that keeps rejecting cannot loop the handshake.
const maxFallbacks = 3

// negotiate runs the ApiVersions handshake and fills c.versions and
// c.negotiated. It starts at the newest ApiVersions version samsa knows
// (capped by Options.MaxVersions) and, when the broker answers with
// UNSUPPORTED_VERSION in the v0 layout (KIP-511), retries with the highest
// version the broker advertised for ApiVersions itself.
func (c *Conn) negotiate(ctx context.Context) error {
	v := kmsg.NewPtrApiVersionsRequest().MaxVersion()
	if cp, ok := c.opts.MaxVersions[18]; ok && cp < v {
		v = cp
	}
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(v)
		req.ClientSoftwareName = c.opts.SoftwareName
		req.ClientSoftwareVersion = c.opts.SoftwareVersion
		kresp, err := c.roundTrip(ctx, req)
		if err != nil {
			return fmt.Errorf("samsa: ApiVersions v%d handshake with broker %s: %w", v, c.addr, err)
		}
		resp, ok := kresp.(*kmsg.ApiVersionsResponse)
		if !ok {
			return fmt.Errorf("samsa: ApiVersions handshake with broker %s: %w: response of type %T",
				c.addr, samsa.ErrMalformedResponse, kresp)
		}
		if resp.ErrorCode == errUnsupportedVersion && v > 0 && attempt < maxFallbacks {
			next := int16(0)
			for _, k := range resp.ApiKeys {
				if k.ApiKey == 18 {
					next = k.MaxVersion
				}
			}
			if next >= v { // nonsense advertisement: step down instead
				next = v - 1
			}
			if next < 0 {
				next = 0
			}
			c.log.Debug("broker rejected ApiVersions version; retrying",
				"addr", c.addr, "version", v, "retry_version", next)
			v = next
			continue
		}
		if resp.ErrorCode != 0 {
			return &BrokerError{Addr: c.addr, API: "ApiVersions", Code: resp.ErrorCode}
		}
		c.setRanges(resp.ApiKeys)
		return nil
	}
}

// setRanges records the broker's advertised ranges and precomputes the
// negotiated maximum per key. Called once, before Dial returns.
func (c *Conn) setRanges(keys []kmsg.ApiVersionsResponseApiKey) {
	maxKey := int16(-1)
	for _, k := range keys {
		if k.ApiKey > maxKey {
			maxKey = k.ApiKey
		}
	}
	c.versions = make([]apiRange, int(maxKey)+1)
	for _, k := range keys {
		if k.ApiKey < 0 || k.MinVersion > k.MaxVersion {
			continue // unusable advertisement; treat the key as unsupported
		}
		c.versions[k.ApiKey] = apiRange{min: k.MinVersion, max: k.MaxVersion, ok: true}
	}
	c.negotiated = make([]int16, len(c.versions))
	for key := range c.versions {
		c.negotiated[key] = -1
		clientMax := int16(-1)
		if r := kmsg.RequestForKey(int16(key)); r != nil {
			clientMax = r.MaxVersion()
		}
		if v, err := c.pick(int16(key), clientMax); err == nil {
			c.negotiated[key] = v
		}
	}
}

// pick returns the version to send for key, given the request type's
// maximum: the highest version both sides support.
func (c *Conn) pick(key, clientMax int16) (int16, error) {
	if cp, ok := c.opts.MaxVersions[key]; ok && cp < clientMax {
		clientMax = cp
	}
	var r apiRange
	if key >= 0 && int(key) < len(c.versions) {
		r = c.versions[key]
	}
	if !r.ok {
		return -1, &UnsupportedAPIError{Key: key, Name: keyName(key), BrokerMin: -1, BrokerMax: -1,
			ClientMax: clientMax, Addr: c.addr}
	}
	v := min(r.max, clientMax)
	if v < r.min || v < 0 {
		return -1, &UnsupportedAPIError{Key: key, Name: keyName(key), BrokerMin: r.min, BrokerMax: r.max,
			ClientMax: clientMax, Addr: c.addr}
	}
	return v, nil
}

// setVersion negotiates and sets req's version.
func (c *Conn) setVersion(req kmsg.Request) error {
	v, err := c.pick(req.Key(), req.MaxVersion())
	if err != nil {
		return err
	}
	req.SetVersion(v)
	return nil
}

// Version returns the version Do would use for key with a kmsg request
// type: the highest both the broker and samsa support, capped by
// Options.MaxVersions. ok is false if there is none. Safe for concurrent
// use.
func (c *Conn) Version(key int16) (int16, bool) {
	if key < 0 || int(key) >= len(c.negotiated) || c.negotiated[key] < 0 {
		return -1, false
	}
	return c.negotiated[key], true
}

// BrokerVersions returns the version range the broker advertised for key
// in ApiVersions; ok is false if it did not advertise the key. Safe for
// concurrent use.
func (c *Conn) BrokerVersions(key int16) (minV, maxV int16, ok bool) {
	if key < 0 || int(key) >= len(c.versions) || !c.versions[key].ok {
		return -1, -1, false
	}
	r := c.versions[key]
	return r.min, r.max, true
}
