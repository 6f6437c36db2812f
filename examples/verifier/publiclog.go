package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier"
)

// logFlags are the flags of the issuers' witnessed revocation logs.
type logFlags struct {
	witnesses         []string
	quorum            int
	acceptSignedRoots bool
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.Func("witness", "a witness's verifier key (as examples/witness -print-key prints it) whose cosignatures count for the issuers' revocation checkpoints; repeat for several", func(v string) error {
		l.witnesses = append(l.witnesses, v)
		return nil
	})
	fs.IntVar(&l.quorum, "quorum", -1, "how many -witness witnesses must cosign a checkpoint (default: all of them; 0 trusts the issuer's signature alone: no protection against a split view)")
	fs.BoolVar(&l.acceptSignedRoots, "accept-signed-roots", false, "also accept the issuers' signed revocation roots (JWS, no witness: no protection against a split view), from holders (vp_token v1) and from -issuer URL/revocation/root for zkcred's own requests; for holders that do not sync logs yet")
}

// logPolicy builds the verifier's LogPolicy: checkpoints fetched (for
// consistency proofs, and for zkcred's own requests without
// -accept-signed-roots) under the fetch policy.
func (l *logFlags) logPolicy(insecureLocal bool, logger *slog.Logger) (*verifier.LogPolicy, error) {
	var keys []*tlog.WitnessKey
	for _, v := range l.witnesses {
		k, err := tlog.ParseWitnessKey(v)
		if err != nil {
			return nil, fmt.Errorf("-witness %q: %w", v, err)
		}
		keys = append(keys, k)
	}
	q := l.quorum
	if q < 0 {
		q = len(keys)
	}
	if q > len(keys) {
		return nil, fmt.Errorf("-quorum %d: only %d -witness given", q, len(keys))
	}
	if q == 0 {
		logger.Warn("verifier: no witness quorum (-witness, -quorum): an issuer could show holders different revocation logs (a split view) without being caught")
	}
	c, err := fetch.New(&fetch.Config{Timeout: 10 * time.Second, MaxBytes: 1 << 20,
		InsecureAllowHTTP: insecureLocal, InsecureAllowPrivateAddresses: insecureLocal})
	if err != nil {
		return nil, err
	}
	return &verifier.LogPolicy{Witnesses: keys, Quorum: q, Tiles: c, AllowHTTPLogs: insecureLocal, InsecureNoWitnesses: q == 0}, nil
}
