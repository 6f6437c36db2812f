package zkp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/go-json-experiment/json"

	"github.com/zkcred/zkcred/did/strictjson"
)

// PresentationVersion is the wire format version (see FORMAT.md).
const PresentationVersion = 1

// MaxPresentationSize bounds an encoded presentation.
const MaxPresentationSize = 16 << 10

// ErrInvalidPresentation is returned by [DecodePresentation] for anything
// but a canonical version-1 presentation, and by [Presentation.Encode] and
// [Verify] for a nil presentation.
var ErrInvalidPresentation = errors.New("zkp: invalid presentation")

// Disclosed is one disclosed slot value.
type Disclosed struct {
	Slot  int
	Value fr.Element
}

// Presentation is a proof with the values the prover outputs. Everything
// else the verifier needs, it computes itself ([Statement]).
type Presentation struct {
	Backend   Backend
	Key       Fingerprint // the verifying key the proof was made for
	Proof     []byte      // backend encoding, see FORMAT.md
	Nullifier fr.Element  // zero when the statement has no scope
	Disclosed []Disclosed // in increasing slot order

	// parsed caches the decoded proof of parsedFrom (DecodePresentation
	// already checked its points), so Verify does not decode it twice.
	parsed     any
	parsedFrom []byte
}

type wirePresentation struct {
	Version int        `json:"version"`
	Backend string     `json:"backend"`
	Key     string     `json:"key"`
	Proof   string     `json:"proof"`
	Public  wirePublic `json:"public"`
}

type wirePublic struct {
	Nullifier string         `json:"nullifier,omitempty"`
	Disclosed []wireDisclose `json:"disclosed,omitempty"`
}

type wireDisclose struct {
	Slot  int    `json:"slot"`
	Value string `json:"value"`
}

var b64 = base64.RawURLEncoding.Strict()

func encField(e fr.Element) string { b := e.Bytes(); return b64.EncodeToString(b[:]) }

// Encode returns the presentation's canonical JSON encoding. A nil p is
// an error wrapping [ErrInvalidPresentation].
func (p *Presentation) Encode() ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil presentation", ErrInvalidPresentation)
	}
	w := wirePresentation{
		Version: PresentationVersion,
		Backend: string(p.Backend),
		Key:     b64.EncodeToString(p.Key[:]),
		Proof:   b64.EncodeToString(p.Proof),
	}
	if !p.Nullifier.IsZero() {
		w.Public.Nullifier = encField(p.Nullifier)
	}
	d := slices.Clone(p.Disclosed)
	slices.SortFunc(d, func(a, b Disclosed) int { return a.Slot - b.Slot })
	for _, x := range d {
		w.Public.Disclosed = append(w.Public.Disclosed, wireDisclose{Slot: x.Slot, Value: encField(x.Value)})
	}
	return json.Marshal(w)
}

// DecodePresentation decodes a presentation strictly: it must be at most
// [MaxPresentationSize] bytes, of version [PresentationVersion], with no
// unknown fields or trailing data, in canonical form (re-encoding gives
// the same bytes: no duplicate keys, whitespace or reordering), with
// canonical field elements, slots in increasing order, and a proof whose
// points are on the curve and in the subgroup. The proof is parsed field
// by field at fixed offsets (points flagged compressed, headers exact)
// and never reaches a gnark decoder; decoding allocates at most a few
// times len(b). Every error wraps [ErrInvalidPresentation]. It never
// panics. A verifier that holds the key should use
// [DecodePresentationFor].
func DecodePresentation(b []byte) (*Presentation, error) {
	w, p, err := decodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	return decodeBody(b, w, p)
}

// DecodePresentationFor decodes b like [DecodePresentation], for the
// verifying key vk: before the proof bytes are decoded, it refuses a
// presentation whose backend or key fingerprint is not vk's, with an error
// wrapping both [ErrKeyMismatch] and [ErrInvalidPresentation] (so does a
// nil or zero vk). Any other failure wraps [ErrInvalidPresentation] alone. Verifier services should
// use it, so that proof bytes meant for no key they hold are never
// decoded.
func DecodePresentationFor(vk *VerifyingKey, b []byte) (*Presentation, error) {
	if err := vk.check(); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrInvalidPresentation, ErrKeyMismatch, err)
	}
	w, p, err := decodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	if p.Backend != vk.backend || p.Key != vk.fp {
		return nil, fmt.Errorf("%w: %w: presentation %s/%s, key %s/%s", ErrInvalidPresentation, ErrKeyMismatch, p.Backend, p.Key, vk.backend, vk.fp)
	}
	return decodeBody(b, w, p)
}

// decodeEnvelope decodes the JSON envelope, the version, backend and key
// fingerprint; the proof is still base64.
func decodeEnvelope(b []byte) (*wirePresentation, *Presentation, error) {
	if len(b) > MaxPresentationSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, max %d", ErrInvalidPresentation, len(b), MaxPresentationSize)
	}
	w := new(wirePresentation)
	if err := strictjson.Unmarshal(b, w); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidPresentation, err)
	}
	if w.Version != PresentationVersion {
		return nil, nil, fmt.Errorf("%w: version %d", ErrInvalidPresentation, w.Version)
	}
	p := &Presentation{Backend: Backend(w.Backend)}
	if err := p.Backend.check(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidPresentation, err)
	}
	key, err := b64.DecodeString(w.Key)
	if err != nil || len(key) != len(p.Key) {
		return nil, nil, fmt.Errorf("%w: key fingerprint", ErrInvalidPresentation)
	}
	copy(p.Key[:], key)
	return w, p, nil
}

// decodeBody decodes the proof and public values of the envelope w of b.
func decodeBody(b []byte, w *wirePresentation, p *Presentation) (*Presentation, error) {
	var err error
	if p.Proof, err = b64.DecodeString(w.Proof); err != nil {
		return nil, fmt.Errorf("%w: proof: %v", ErrInvalidPresentation, err)
	}
	switch p.Backend {
	case Groth16:
		p.parsed, err = decodeGroth16Proof(p.Proof)
	case PLONK:
		p.parsed, err = decodePLONKProof(p.Proof)
	}
	p.parsedFrom = bytes.Clone(p.Proof)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPresentation, err)
	}
	if w.Public.Nullifier != "" {
		if p.Nullifier, err = decField(w.Public.Nullifier); err != nil || p.Nullifier.IsZero() {
			return nil, fmt.Errorf("%w: nullifier", ErrInvalidPresentation)
		}
	}
	if len(w.Public.Disclosed) > MaxSlots {
		return nil, fmt.Errorf("%w: too many disclosed values", ErrInvalidPresentation)
	}
	for i, d := range w.Public.Disclosed {
		if d.Slot < 0 || d.Slot >= MaxSlots || (i > 0 && d.Slot <= w.Public.Disclosed[i-1].Slot) {
			return nil, fmt.Errorf("%w: disclosed slot %d out of range or order", ErrInvalidPresentation, d.Slot)
		}
		v, err := decField(d.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: disclosed slot %d: %v", ErrInvalidPresentation, d.Slot, err)
		}
		p.Disclosed = append(p.Disclosed, Disclosed{Slot: d.Slot, Value: v})
	}
	again, err := p.Encode()
	if err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrInvalidPresentation)
	}
	return p, nil
}

func decField(s string) (fr.Element, error) {
	var e fr.Element
	b, err := b64.DecodeString(s)
	if err != nil {
		return e, err
	}
	if len(b) != fr.Bytes {
		return e, fmt.Errorf("field element of %d bytes", len(b))
	}
	return e, e.SetBytesCanonical(b)
}
