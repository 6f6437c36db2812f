package protocol

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/verifier/internal/testenv"
)

func FuzzParseSubmission(f *testing.F) {
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{}}`))
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{"version":1,"backend":"groth16"}}`))
	f.Add([]byte(`[]`))
	f.Add(testenv.PlonkBomb(f))
	vk := testenv.Keys(f).VerifyingKey
	f.Fuzz(func(t *testing.T, b []byte) {
		testenv.AllocCeiling(t, testenv.MaxFuzzAlloc, func() {
			sub, pres, err := ParseSubmission(b, vk)
			if err != nil {
				if !errors.Is(err, ErrMalformedPresentation) {
					t.Fatalf("error does not wrap ErrMalformedPresentation: %v", err)
				}
				return
			}
			// Accepted presentations are canonical: they re-encode to the
			// bytes they came from.
			enc, err := pres.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(enc) != string(sub.Presentation) {
				t.Fatalf("presentation not canonical:\n%s\n%s", sub.Presentation, enc)
			}
		})
	})
}
