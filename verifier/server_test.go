package verifier

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerRawAnswersAreJSON sends raw requests that net/http's server
// could answer itself (OPTIONS *, CONNECT, absolute-form, odd paths, a
// chunked body over the limit) to a NewServer serving the handler: every
// answer must be the handler's JSON error, not net/http's plain text or an
// empty 200. (Oversized headers and malformed request lines are still
// answered by net/http: see the package documentation.)
func TestServerRawAnswersAreJSON(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer("", e.v.Handler())
	go srv.Serve(ln)
	defer srv.Close()
	big := strings.Repeat("a", 70<<10)
	for name, raw := range map[string]string{
		"OPTIONS *":            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS /requests":    "OPTIONS /requests HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /requests":       "HEAD /requests HTTP/1.1\r\nHost: x\r\n\r\n",
		"trailing slash":       "POST /requests/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"double slash":         "GET //requests/abc HTTP/1.1\r\nHost: x\r\n\r\n",
		"dot segment":          "GET /requests/../requests/abc HTTP/1.1\r\nHost: x\r\n\r\n",
		"encoded slash":        "GET /requests/a%2F..%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
		"CONNECT":              "CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n",
		"absolute-form":        "GET http://evil/requests/abc HTTP/1.1\r\nHost: x\r\n\r\n",
		"chunked over limit":   "POST /requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big),
		"content-type variant": "POST /requests HTTP/1.1\r\nHost: x\r\nContent-Type: Application/JSON; charset=utf-16\r\nContent-Length: 2\r\n\r\n{}",
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(raw))
		res, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(raw)[0]})
		c.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: %d with content type %q (not a JSON error)", name, res.StatusCode, ct)
		}
	}
}
