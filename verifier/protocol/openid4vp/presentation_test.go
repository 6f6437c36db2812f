package openid4vp

import (
	"errors"
	"strings"
	"testing"
)

const testNote = "did:web:agency.example/revocation\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 did:web:agency.example/revocation AAAA\n"

// TestParsePresentationVersions: v2 carries a checkpoint and no signed
// root, v1 a signed root and no checkpoint; anything else is refused.
func TestParsePresentationVersions(t *testing.T) {
	sub := `{"version":"zkcred-submission-v1"}`
	cp := strings.ReplaceAll(strings.ReplaceAll(testNote, "\n", `\n`), "\u2014", `\u2014`)
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"v2 with a checkpoint", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"` + cp + `"}`, true},
		{"v1 with a signed root", `{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":` + sub + `,"revocation_root":"a.b.c"}`, true},
		// Each version has exactly its own member.
		{"v2 without a checkpoint", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `}`, false},
		{"v2 with a signed root", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"revocation_root":"a.b.c"}`, false},
		{"v2 with both", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"x","revocation_root":"a.b.c"}`, false},
		{"v1 with a checkpoint", `{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":` + sub + `,"checkpoint":"x"}`, false},
		{"v1 with both", `{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":` + sub + `,"checkpoint":"x","revocation_root":"a.b.c"}`, false},
		// Sizes, versions, members.
		{"checkpoint too long", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"` + strings.Repeat("a", maxCheckpoint+1) + `"}`, false},
		{"unknown version", `{"version":"zkcred-vp-zkp-v3","claim_set":0,"submission":` + sub + `,"checkpoint":"x"}`, false},
		{"case variant", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"Checkpoint":"x"}`, false},
		{"duplicate", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"x","checkpoint":"y"}`, false},
		{"unknown member", `{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"x","x":1}`, false},
	} {
		p, err := ParsePresentation([]byte(tc.in))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && (err == nil || !errors.Is(err, ErrInvalidResponse)):
			t.Errorf("%s: %v, want ErrInvalidResponse", tc.name, err)
		case tc.ok && tc.name == "v2 with a checkpoint" && p.Checkpoint != testNote:
			t.Errorf("checkpoint %q", p.Checkpoint)
		}
	}
}

// FuzzParsePresentation: any vp_token value is refused with
// ErrInvalidResponse or parsed to one of the two versions with exactly its
// member, without a panic and within the allocation ceiling.
func FuzzParsePresentation(f *testing.F) {
	sub := `{"version":"zkcred-submission-v1"}`
	f.Add([]byte(`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"a\nb"}`))
	f.Add([]byte(`{"version":"zkcred-vp-zkp-v1","claim_set":1,"submission":` + sub + `,"revocation_root":"a.b.c"}`))
	f.Add([]byte(`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":` + sub + `,"checkpoint":"x","revocation_root":"y"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p *Presentation
		var err error
		if n := heapAllocs(func() { p, err = ParsePresentation(b) }); n > allocCeiling(len(b)) {
			t.Fatalf("%d-byte input allocated %d bytes", len(b), n)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("error %v does not wrap ErrInvalidResponse", err)
			}
			return
		}
		if (p.Version == PresentationVersion) != (p.Checkpoint != "") || (p.Version == PresentationVersionV1) != (p.RevocationRoot != "") {
			t.Fatalf("version %s with checkpoint %q and root %q", p.Version, p.Checkpoint, p.RevocationRoot)
		}
	})
}
