package verifier_test

import (
	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/zkp"
)

// A verifier that takes revocation roots only from the issuers' witnessed
// logs: a checkpoint the holder carries counts if two of three independent
// witnesses cosigned it and it is consistent with the one the shared store
// holds (Config.Roots unset: no signed roots), and the issuer's keys are
// checked against its keys log.
func ExampleLogPolicy() {
	var (
		store     *verifier.PostgresStore // verifier.OpenPostgres: shared by every instance
		resolver  did.Resolver            // did.NewResolver(nil)
		key       *zkp.VerifyingKey
		schema    *credential.Schema
		witnesses []string // the witnesses' verifier keys, as they print them
	)
	var keys []*tlog.WitnessKey
	for _, w := range witnesses {
		k, err := tlog.ParseWitnessKey(w)
		if err != nil {
			return
		}
		keys = append(keys, k)
	}
	tiles, _ := fetch.New(nil) // the production fetch policy, for consistency proofs
	v, err := verifier.New(verifier.Config{
		Store: store, Audience: "https://vote.example", Resolver: resolver, Key: key,
		Schemas: []*credential.Schema{schema},
		Log: &verifier.LogPolicy{Witnesses: keys, Quorum: 2, Tiles: tiles,
			// Every issuer must publish its keys log, and the keys used
			// must be in its latest witnessed version.
			KeysLog: verifier.KeysLogRequired},
	})
	// err: a configuration mistake (a witness listed twice, a quorum
	// above the witnesses), said in words. A refused checkpoint:
	// verifier.ErrUnwitnessed (422) or verifier.ErrSplitView (409); an
	// unlogged key: verifier.ErrUnloggedKey.
	_, _ = v, err
}
