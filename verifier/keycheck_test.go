package verifier

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/internal/testenv"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// TestKeyCheckBeforeProof: a presentation for another backend or key is
// refused with zkp.ErrKeyMismatch before its proof is decoded, by
// ParseSubmission, Verify and the handler. The PLONK bomb sent to a
// Groth16 verifier must cost (almost) nothing.
func TestKeyCheckBeforeProof(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	e := newEnv(t, newBolt(t), agency)
	vk := e.v.cfg.Key
	if vk.Backend() != zkp.Groth16 {
		t.Fatal("test key is not Groth16")
	}
	bomb := testenv.PlonkBomb(t)
	good := realSubmission(t)
	cases := map[string][]byte{
		"plonk bomb":            bomb,
		"plonk, garbage proof":  bytes.Replace(good, []byte(`"backend":"groth16"`), []byte(`"backend":"plonk"`), 1),
		"other key fingerprint": fingerprintSwap(t, good),
	}
	for name, sub := range cases {
		t.Run(name, func(t *testing.T) {
			testenv.AllocCeiling(t, 2<<20, func() {
				if _, _, err := protocol.ParseSubmission(sub, vk); !errors.Is(err, protocol.ErrMalformedPresentation) || !errors.Is(err, zkp.ErrKeyMismatch) {
					t.Errorf("ParseSubmission: %v, want ErrMalformedPresentation and zkp.ErrKeyMismatch", err)
				}
			})
			req, err := e.v.NewRequest(t.Context(), votePolicy(agency.did))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.v.Verify(t.Context(), req, sub); !errors.Is(err, zkp.ErrKeyMismatch) {
				t.Errorf("Verify: %v", err)
			}
			res := present(e.v.Handler(), req.ID, sub)
			wantError(t, res, http.StatusBadRequest, CodeMalformedPresentation)
			if !bytes.Contains(res.body, []byte("another key")) {
				t.Errorf("handler message %s does not say the key is another", res.body)
			}
		})
	}
	// A backend no key has is malformed, also before the proof is decoded.
	halo := bytes.Replace(bomb, []byte(`"backend":"plonk"`), []byte(`"backend":"halo2"`), 1)
	testenv.AllocCeiling(t, 2<<20, func() {
		if _, _, err := protocol.ParseSubmission(halo, vk); !errors.Is(err, protocol.ErrMalformedPresentation) {
			t.Errorf("unknown backend: %v", err)
		}
	})
}

// fingerprintSwap returns sub with its presentation naming another key
// fingerprint (one bit flipped), same backend.
func fingerprintSwap(t *testing.T, sub []byte) []byte {
	var env protocol.Submission
	if err := strictjson.Unmarshal(sub, &env); err != nil {
		t.Fatal(err)
	}
	pres, err := zkp.DecodePresentation(env.Presentation)
	if err != nil {
		t.Fatal(err)
	}
	pres.Key[0] ^= 1
	b, err := protocol.NewSubmission(env.Issuer, pres)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
