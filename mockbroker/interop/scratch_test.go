package interop_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/samsa-go/samsa/mockbroker"
)

func TestScratch(t *testing.T) {
	c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 4))
	b := strings.Join(c.Addrs(), ",")
	var in strings.Builder
	for i := range 10 {
		in.WriteString("k" + string(rune('a'+i)) + ":v|" + string(rune('a'+i)) + "\n")
	}
	cmd := exec.Command("kcat", "-P", "-b", b, "-t", "t", "-K:", "-H", "h1=v1", "-H", "h2=", "-z", "zstd")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	t.Logf("P: %v %s", err, out)
	out, err = exec.Command("kcat", "-C", "-b", b, "-t", "t", "-e", "-o", "beginning", "-f", "%k|%s|%h|%p|%o|%T\n").CombinedOutput()
	t.Logf("C: %v\n%s", err, out)
	out, err = exec.Command("kcat", "-L", "-J", "-b", b).CombinedOutput()
	t.Logf("L: %v\n%s", err, out)
	out, err = exec.Command("kcat", "-L", "-b", b).CombinedOutput()
	t.Logf("L: %v\n%s", err, out)
}
