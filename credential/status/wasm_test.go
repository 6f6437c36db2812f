package status

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// walletSide are the packages a wallet links: the prover and everything a
// holder needs to hold a credential and compute its witness. They must
// build for GOOS=js GOARCH=wasm (the browser wallet) and import no store.
// The issuer's registry (bbolt) and the OpenID4VCI issuer (bbolt, pgx) are
// the packages beneath them left out; credential/openid4vci, the wallet's
// half of issuance, and verifier/protocol/... (requests, DCQL, OpenID4VP),
// the wallet's half of presentation, are in.
var walletSide = []string{
	"github.com/zkcred/zkcred/zkp",
	"github.com/zkcred/zkcred/credential/...",
	"github.com/zkcred/zkcred/did/...",
	"github.com/zkcred/zkcred/verifier/protocol/...",
}

// notWalletSide are the packages the patterns above match that a wallet
// never links.
var notWalletSide = map[string]bool{
	"github.com/zkcred/zkcred/credential/status/registry":   true,
	"github.com/zkcred/zkcred/credential/openid4vci/issuer": true,
}

// storeModules are the import path prefixes of the stores: bbolt has no
// js/wasm support, and neither belongs in a phone or a browser.
var storeModules = []string{"go.etcd.io/bbolt", "github.com/jackc/pgx"}

// TestWalletSideImportsNoStore lists the dependencies of the wallet-side
// packages as the go command resolves them for js/wasm, and fails if one
// of them reaches a store or does not resolve. It lists, it does not
// compile (a cold js/wasm build of gnark takes over a minute); .ci/run
// builds the same packages for js/wasm before running the tests.
func TestWalletSideImportsNoStore(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	args := append([]string{"list", "-e", "-f", "{{.ImportPath}} {{if .Error}}ERROR{{end}}{{if .DepsErrors}}ERROR{{end}} {{join .Deps \" \"}}"}, walletSide...)
	cmd := exec.Command(gobin, args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list for js/wasm: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var n int
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) == 0 || notWalletSide[fields[0]] {
			continue
		}
		n++
		pkg, deps := fields[0], fields[1:]
		if len(deps) > 0 && strings.HasPrefix(deps[0], "ERROR") {
			t.Errorf("%s does not resolve for js/wasm (go list -e -json for the error)", pkg)
		}
		for _, d := range deps {
			for _, s := range storeModules {
				if d == s || strings.HasPrefix(d, s+"/") {
					t.Errorf("%s imports %s for js/wasm: wallet-side packages must not link a store", pkg, d)
				}
			}
		}
	}
	// The patterns must have matched the wallet side, status and zkp included.
	if !strings.Contains(string(out), "github.com/zkcred/zkcred/zkp ") || !strings.Contains(string(out), "github.com/zkcred/zkcred/credential/status ") || n < 5 {
		t.Fatalf("go list matched too little:\n%s", out)
	}
}
