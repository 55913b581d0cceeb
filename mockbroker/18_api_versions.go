package mockbroker

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// apiVersionsMax is the highest ApiVersions version the brokers serve. v4
// is what current clients send; v5 only adds fields for controllers.
func apiVersionsMax() int16 { return 4 }

// handleApiVersions answers with the version range of every API in
// apiTable. From v3 the client's software name and version must match
// Kafka's pattern, or the answer is INVALID_REQUEST, as on Kafka.
func handleApiVersions(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.ApiVersionsRequest)
	resp := r.ResponseKind().(*kmsg.ApiVersionsResponse)
	if rc.fault != nil {
		resp.ErrorCode = rc.fault.Code
		resp.ApiKeys = apiVersionsFallback(0).ApiKeys
		return resp, nil
	}
	if r.Version >= 3 && (!validSoftwareString(r.ClientSoftwareName) || !validSoftwareString(r.ClientSoftwareVersion)) {
		rc.c.log.Warn("ApiVersions with an invalid client software name or version",
			"broker", rc.b.id, "name", r.ClientSoftwareName, "version", r.ClientSoftwareVersion)
		resp.ErrorCode = kerr.InvalidRequest.Code
		resp.ApiKeys = apiVersionsFallback(0).ApiKeys
		return resp, nil
	}
	table := apiTable()
	sort.Slice(table, func(i, j int) bool { return table[i].key < table[j].key })
	for _, a := range table {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = int16(a.key), a.advertisedMin(), a.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp, nil
}

// apiVersionsFallback is the v0 response for an ApiVersions request at a
// version the broker does not serve (KIP-511): the error code and the
// ApiVersions range alone, so the client can retry with a version both
// sides know.
func apiVersionsFallback(code int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	resp.ErrorCode = code
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MinVersion, k.MaxVersion = int16(kmsg.ApiVersions), 0, apiVersionsMax()
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{k}
	return resp
}

// validSoftwareString reports whether s matches Kafka's pattern for client
// software names and versions, [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
func validSoftwareString(s string) bool {
	if s == "" {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if alnum(c) {
			continue
		}
		if (c == '-' || c == '.') && i > 0 && i < len(s)-1 {
			continue
		}
		return false
	}
	return true
}
