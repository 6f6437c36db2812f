package zkp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zkcred/zkcred/did"
)

// TestNilAndZeroValues calls every exported function and method of zkp
// with nil or zero values (the red-team review found ten that panicked):
// each must return an error wrapping the sentinel its doc names, or a zero
// result, and never panic.
func TestNilAndZeroValues(t *testing.T) {
	vk, err := ParseVerifyingKey(golden(t, Groth16, "vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	plonkVK, err := ParseVerifyingKey(golden(t, PLONK, "vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	presB := golden(t, Groth16, "presentation.json")
	p, err := DecodePresentation(presB)
	if err != nil {
		t.Fatal(err)
	}
	var keys *Keys
	if !testing.Short() {
		keys = keysFor(t, Groth16)
	}
	// foreignVK returns keys whose VerifyingKey was swapped by the caller.
	swapVK := func(v *VerifyingKey) *Keys { k := *keys; k.VerifyingKey = v; return &k }

	cases := []struct {
		name string
		want error // nil: the call returns no error and a zero result
		f    func() error
		long bool // needs real proving keys (a Groth16 setup)
	}{
		// Verify
		{"Verify(nil vk)", ErrInvalidKey, func() error { return Verify(nil, &Statement{}, p) }, false},
		{"Verify(zero vk)", ErrInvalidKey, func() error { return Verify(&VerifyingKey{}, &Statement{}, &Presentation{}) }, false},
		{"Verify(vk, nil statement)", ErrInvalidStatement, func() error { return Verify(vk, nil, p) }, false},
		{"Verify(vk, st, nil presentation)", ErrInvalidPresentation, func() error { return Verify(vk, &Statement{}, nil) }, false},
		{"Verify(vk, zero st, zero p)", ErrKeyMismatch, func() error { return Verify(vk, &Statement{}, &Presentation{}) }, false},

		// Prove
		{"Prove(nil, nil, nil)", ErrInvalidKey, func() error { _, err := Prove(nil, nil, nil); return err }, false},
		{"Prove(zero keys)", ErrInvalidKey, func() error { _, err := Prove(&Keys{}, &Statement{}, &Witness{}); return err }, false},
		{"Prove(keys with nil VerifyingKey)", ErrInvalidKey, func() error { _, err := Prove(swapVK(nil), &Statement{}, &Witness{}); return err }, true},
		{"Prove(keys with zero VerifyingKey)", ErrInvalidKey, func() error { _, err := Prove(swapVK(&VerifyingKey{}), &Statement{}, &Witness{}); return err }, true},
		{"Prove(groth16 keys with a PLONK VerifyingKey)", ErrInvalidKey, func() error { _, err := Prove(swapVK(plonkVK), &Statement{}, &Witness{}); return err }, true},
		{"Prove(keys, nil statement)", ErrInvalidStatement, func() error { _, err := Prove(keys, nil, &Witness{}); return err }, true},
		{"Prove(keys, st, nil witness)", ErrInvalidWitness, func() error { _, err := Prove(keys, &Statement{}, nil); return err }, true},
		{"Prove(keys, zero statement)", ErrInvalidStatement, func() error { _, err := Prove(keys, &Statement{}, &Witness{}); return err }, true},

		// Keys
		{"(*Keys)(nil).Save", ErrInvalidKey, func() error { return (*Keys)(nil).Save(t.TempDir()) }, false},
		{"(&Keys{}).Save", ErrInvalidKey, func() error { return (&Keys{}).Save(t.TempDir()) }, false},
		{"(*Keys)(nil).Constraints", nil, zeroInt((*Keys)(nil).Constraints), false},
		{"(&Keys{}).Constraints", nil, zeroInt((&Keys{}).Constraints), false},

		// VerifyingKey
		{"(*VerifyingKey)(nil).MarshalBinary", ErrInvalidKey, func() error { _, err := (*VerifyingKey)(nil).MarshalBinary(); return err }, false},
		{"(&VerifyingKey{}).MarshalBinary", ErrInvalidKey, func() error { _, err := (&VerifyingKey{}).MarshalBinary(); return err }, false},
		{"(*VerifyingKey)(nil) accessors", nil, func() error {
			var v *VerifyingKey
			if v.Shape() != (Shape{}) || v.Backend() != "" || v.Fingerprint() != (Fingerprint{}) {
				return errors.New("non-zero result")
			}
			return nil
		}, false},
		{"ParseVerifyingKey(nil)", ErrInvalidKey, func() error { _, err := ParseVerifyingKey(nil); return err }, false},

		// Presentation
		{"(*Presentation)(nil).Encode", ErrInvalidPresentation, func() error { _, err := (*Presentation)(nil).Encode(); return err }, false},
		{"DecodePresentation(nil)", ErrInvalidPresentation, func() error { _, err := DecodePresentation(nil); return err }, false},
		{"DecodePresentationFor(nil vk)", ErrKeyMismatch, func() error { _, err := DecodePresentationFor(nil, presB); return err }, false},
		{"DecodePresentationFor(zero vk)", ErrKeyMismatch, func() error { _, err := DecodePresentationFor(&VerifyingKey{}, presB); return err }, false},
		{"DecodePresentationFor(zero vk) is an invalid presentation", ErrInvalidPresentation, func() error { _, err := DecodePresentationFor(&VerifyingKey{}, presB); return err }, false},

		// SRS
		{"(*SRS)(nil).Size", nil, zeroInt((*SRS)(nil).Size), false},
		{"(&SRS{}).Size", nil, zeroInt((&SRS{}).Size), false},
		{"(*SRS)(nil).WriteTo", ErrInvalidSRS, func() error { _, err := (*SRS)(nil).WriteTo(new(bytes.Buffer)); return err }, false},
		{"(&SRS{}).WriteTo", ErrInvalidSRS, func() error { _, err := (&SRS{}).WriteTo(new(bytes.Buffer)); return err }, false},
		{"ReadSRS(nil)", ErrInvalidSRS, func() error { _, err := ReadSRS(nil); return err }, false},
		{"ReadSRS(empty)", ErrInvalidSRS, func() error { _, err := ReadSRS(new(bytes.Buffer)); return err }, false},
		{"UnsafeGenerateSRS(0)", ErrInvalidSRS, func() error { _, err := UnsafeGenerateSRS(0); return err }, false},
		{"SetupPLONK(shape, nil)", ErrInvalidSRS, func() error { _, err := SetupPLONK(testShape, nil); return err }, false},
		{"SetupPLONK(shape, zero SRS)", ErrInvalidSRS, func() error { _, err := SetupPLONK(testShape, &SRS{}); return err }, false},

		// Ceremony: nil and zero (not made by NewCeremony)
		{"(*Ceremony)(nil).DomainSize", nil, func() error { return zeroUint((*Ceremony)(nil).DomainSize()) }, false},
		{"(&Ceremony{}).DomainSize", nil, func() error { return zeroUint((&Ceremony{}).DomainSize()) }, false},
		{"(*Ceremony)(nil).InitialPhase1", ErrCeremony, func() error { _, err := (*Ceremony)(nil).InitialPhase1(); return err }, false},
		{"(&Ceremony{}).InitialPhase1", ErrCeremony, func() error { _, err := (&Ceremony{}).InitialPhase1(); return err }, false},
		{"(*Ceremony)(nil).ContributePhase1", ErrCeremony, func() error { _, err := (*Ceremony)(nil).ContributePhase1([]byte{1}); return err }, false},
		{"(&Ceremony{}).ContributePhase1", ErrCeremony, func() error { _, err := (&Ceremony{}).ContributePhase1([]byte{1}); return err }, false},
		{"(*Ceremony)(nil).VerifyPhase1", ErrCeremony, func() error { _, err := (*Ceremony)(nil).VerifyPhase1(nil, []byte{1}); return err }, false},
		{"(&Ceremony{}).VerifyPhase1", ErrCeremony, func() error { _, err := (&Ceremony{}).VerifyPhase1(nil, []byte{1}); return err }, false},
		{"(*Ceremony)(nil).InitialPhase2", ErrCeremony, func() error { _, err := (*Ceremony)(nil).InitialPhase2([]byte{1}); return err }, false},
		{"(&Ceremony{}).InitialPhase2", ErrCeremony, func() error { _, err := (&Ceremony{}).InitialPhase2([]byte{1}); return err }, false},
		{"(*Ceremony)(nil).ContributePhase2", ErrCeremony, func() error { _, err := (*Ceremony)(nil).ContributePhase2([]byte{1}); return err }, false},
		{"(&Ceremony{}).ContributePhase2", ErrCeremony, func() error { _, err := (&Ceremony{}).ContributePhase2([]byte{1}); return err }, false},
		{"(*Ceremony)(nil).Finish", ErrCeremony, func() error { _, err := (*Ceremony)(nil).Finish(nil, nil, []byte{1}); return err }, false},
		{"(&Ceremony{}).Finish", ErrCeremony, func() error { _, err := (&Ceremony{}).Finish(nil, nil, []byte{1}); return err }, false},

		// Zero shapes and backends
		{"compile(zero shape)", ErrInvalidShape, func() error { _, err := compile(Shape{}, Groth16); return err }, false},
		{"compile(unknown backend)", ErrUnknownBackend, func() error { _, err := compile(testShape, ""); return err }, false},
		{"UnsafeSetup(zero shape)", ErrInvalidShape, func() error { _, err := UnsafeSetup(Shape{}, Groth16); return err }, false},
		{"UnsafeCachedSetup(zero shape)", ErrInvalidShape, func() error { _, err := UnsafeCachedSetup(t.TempDir(), Shape{}, Groth16); return err }, false},
		{"SRSSizeFor(zero shape)", ErrInvalidShape, func() error { _, err := SRSSizeFor(Shape{}); return err }, false},
		{"NewCeremony(zero shape)", ErrInvalidShape, func() error { _, err := NewCeremony(Shape{}); return err }, false},
		{"SetupPLONK(zero shape)", ErrInvalidShape, func() error { _, err := SetupPLONK(Shape{}, &SRS{}); return err }, false},
		{"ParseShape(zero shape)", ErrInvalidShape, func() error { _, err := ParseShape("{}"); return err }, false},

		// Issuer keys
		{"did.ParseZKPublicKey(nil)", did.ErrInvalidKey, func() error { _, err := did.ParseZKPublicKey(nil); return err }, false},
		{"did.ZKPublicKey{} accessors", nil, func() error { k := &did.ZKPublicKey{}; _, _ = k.Bytes(), k.Point(); return nil }, false},
		{"Verify(vk, statement with a zero issuer key)", ErrInvalidStatement, func() error {
			return Verify(vk, &Statement{Issuer: &did.ZKPublicKey{}}, &Presentation{Backend: Groth16, Key: vk.Fingerprint()})
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.long && keys == nil {
				t.Skip("needs a Groth16 setup; skipped under -short")
			}
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panics: %v", r)
					}
				}()
				err = c.f()
			}()
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("got %v, want no error and a zero result", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("got %v, want an error wrapping %v", err, c.want)
			}
		})
	}
}

func zeroInt(f func() int) func() error {
	return func() error {
		if n := f(); n != 0 {
			return errors.New("non-zero result")
		}
		return nil
	}
}

func zeroUint(n uint64) error {
	if n != 0 {
		return errors.New("non-zero result")
	}
	return nil
}
