package verifier

import (
	"errors"
	"testing"
)

func FuzzParseSubmission(f *testing.F) {
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{}}`))
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{"version":1,"backend":"groth16"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sub, pres, err := ParseSubmission(b)
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
}
