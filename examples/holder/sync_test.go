package main

import (
	"strings"
	"testing"

	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier"
)

// oidConfig, if set, adjusts the configuration of the next oidVerifier.
var oidConfig func(*verifier.Config)

// testSync: holder sync fetches the issuer's revocation log (no witness
// here: quorum 0, which it warns about), stores the checkpoint and the
// credential's witness; present then answers a verifier that takes only
// witnessed checkpoints (Config.Log, no signed roots), carrying the
// checkpoint and fetching nothing from the agency. A second sync with
// nothing new downloads only the checkpoint.
func testSync(t *testing.T, wallet, issuerDID string) {
	out, err := holder(t, "sync", "-wallet", wallet, "-insecure-local", "-quorum", "0")
	if err != nil || !strings.Contains(out, issuerDID+": checkpoint of 0 revocations") {
		t.Fatalf("holder sync: %v\n%s", err, out)
	}
	out, err = holder(t, "sync", "-wallet", wallet, "-insecure-local")
	if err != nil || !strings.Contains(out, "checkpoint of 0 revocations") {
		t.Fatalf("second holder sync: %v\n%s", err, out)
	}
	fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	oidConfig = func(c *verifier.Config) {
		c.Roots, c.Log = nil, &verifier.LogPolicy{Tiles: fc, AllowHTTPLogs: true, InsecureNoWitnesses: true}
	}
	v := oidVerifier(t, issuerDID)
	oidConfig = nil
	out, err = presentOID(t, wallet, oidVote(t, v, issuerDID, "ballot-sync", "yes"), "", "-yes")
	if err != nil || !strings.Contains(out, "presentation accepted") {
		t.Fatalf("present with the synced checkpoint: %v\n%s", err, out)
	}
}
