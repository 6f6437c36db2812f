package protocol

import (
	"os/exec"
	"strings"
	"testing"
)

// httpClients are the dependencies allowed to import net/http: did:web
// resolution and the issuer fetches (did, did/fetch, credential/status's
// snapshot and root fetching), all clients. (did also exports
// DocumentHandler, which serves a DID document: issuer-side, unused here.)
var httpClients = map[string]bool{
	"github.com/zkcred/zkcred/did":               true,
	"github.com/zkcred/zkcred/did/fetch":         true,
	"github.com/zkcred/zkcred/credential/status": true,
}

// TestDeps: a wallet imports this package alone, so it must not pull in
// the verifier's stores (bbolt, pgx), the verifier itself, or HTTP server
// code (DESIGN.md: the protocol imports no store and no HTTP server).
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		switch {
		case strings.HasPrefix(pkg, "go.etcd.io/bbolt"),
			strings.HasPrefix(pkg, "github.com/jackc/"),
			pkg == "github.com/zkcred/zkcred/verifier",
			strings.HasPrefix(pkg, "github.com/zkcred/zkcred/credential/status/registry"),
			pkg == "net/http/httptest", pkg == "net/http/pprof",
			pkg == "net/http/cgi", pkg == "net/http/fcgi":
			t.Errorf("protocol depends on %s", pkg)
		}
		for _, imp := range imports {
			if imp == "net/http" && !strings.HasPrefix(pkg, "net/") && !strings.HasPrefix(pkg, "vendor/") && !httpClients[pkg] {
				t.Errorf("%s imports net/http (only the HTTP clients %v may)", pkg, httpClients)
			}
		}
	}
}
