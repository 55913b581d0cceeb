package kerr

import (
	"errors"
	"testing"
)

// FuzzForName checks that ForName never panics and that whatever it
// returns is the error ForCode gives for the same code.
func FuzzForName(f *testing.F) {
	for _, s := range []string{
		"NOT_LEADER_OR_FOLLOWER", "NOT_LEADER_FOR_PARTITION", "NONE", "",
		"UNKNOWN_ERROR_CODE_999", "UNKNOWN_ERROR_CODE_-32768", "UNKNOWN_ERROR_CODE_0",
		"UNKNOWN_ERROR_CODE_99999", "UNKNOWN_ERROR_CODE_\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		e := ForName(name)
		if e == nil {
			return
		}
		if e.Code == 0 {
			t.Fatalf("ForName(%q) returned code 0", name)
		}
		if !errors.Is(ForCode(e.Code), e) {
			t.Fatalf("ForName(%q) = %v, but ForCode(%d) = %v", name, e, e.Code, ForCode(e.Code))
		}
	})
}

// FuzzForCode checks that every code maps to a value that carries it and
// whose name maps back.
func FuzzForCode(f *testing.F) {
	for _, c := range []int16{-32768, -1, 0, 6, 133, 134, 32767} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, code int16) {
		e := ForCode(code)
		if code == 0 {
			if e != nil {
				t.Fatalf("ForCode(0) = %v, want nil", e)
			}
			return
		}
		if e == nil || e.Code != code {
			t.Fatalf("ForCode(%d) = %v", code, e)
		}
		if !errors.Is(ForName(e.Name), e) {
			t.Fatalf("ForName(%q) = %v, want %v", e.Name, ForName(e.Name), e)
		}
	})
}
