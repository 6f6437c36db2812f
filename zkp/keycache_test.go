package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// keyLoadCeiling bounds what reading one key bundle or cache of the test
// shape may allocate: recompiling the circuit allocates about 70 MiB, the
// keys themselves under 2 MiB; a forged count asks for 256 GiB.
const keyLoadCeiling = 160 << 20

// withinKeyCeiling runs f and fails t if it allocated more than
// keyLoadCeiling bytes.
func withinKeyCeiling(t testing.TB, what string, f func()) {
	t.Helper()
	before := heapAllocs()
	f()
	if d := heapAllocs() - before; d > keyLoadCeiling {
		t.Fatalf("%s allocated %d bytes, ceiling %d", what, d, keyLoadCeiling)
	}
}

// TestKeyBundleRoundTrip: WriteTo then ReadKeys gives the same keys (same
// fingerprint, same cache bytes), which prove; every truncation, trailing
// data and a wrong fingerprint are refused.
func TestKeyBundleRoundTrip(t *testing.T) {
	keys := keysFor(t, Groth16)
	var buf bytes.Buffer
	if _, err := keys.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	fp := keys.VerifyingKey.Fingerprint()
	// One byte at a time: the reader's short reads are not errors.
	got, err := ReadKeys(iotest.OneByteReader(bytes.NewReader(b)), &fp)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := keys.MarshalCache()
	again, err := got.MarshalCache()
	if err != nil || !bytes.Equal(again, want) {
		t.Fatalf("read keys differ from the written ones (%v)", err)
	}
	f := newFixture(t, testShape)
	p, err := Prove(got, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatalf("proof with read keys: %v", err)
	}
	for _, n := range []int{0, 5, len(bundleMagic) + 1, len(bundleMagic) + 40, len(b) / 2, len(b) - 1} {
		if _, err := ReadKeys(bytes.NewReader(b[:n]), nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("bundle cut at %d: %v", n, err)
		}
	}
	if _, err := ReadKeys(bytes.NewReader(append(bytes.Clone(b), 0)), nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("trailing byte: %v", err)
	}
	other := fp
	other[0] ^= 1
	if _, err := ReadKeys(bytes.NewReader(b), &other); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("wrong fingerprint: %v", err)
	}
	if _, err := ReadKeys(iotest.ErrReader(io.ErrClosedPipe), nil); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("read error not wrapped: %v", err)
	}
	// A proving key length beyond what the shape allows is refused before
	// it is read (the reader has no such bytes).
	bomb := bytes.Clone(b)
	off := len(bundleMagic) + 2 + int(binary.BigEndian.Uint16(b[len(bundleMagic):])) + 4 + vkSize(testShape, Groth16)
	binary.BigEndian.PutUint32(bomb[off:], 0xffffffff)
	withinKeyCeiling(t, "ReadKeys", func() {
		if _, err := ReadKeys(bytes.NewReader(bomb), nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("4 GiB proving key length: %v", err)
		}
	})
}

// TestKeyCache: MarshalCache then DangerousParseKeyCache gives keys that
// prove and re-encode identically; a wrong digest is refused before
// decoding, a wrong fingerprint too, and PLONK keys have no cache form.
func TestKeyCache(t *testing.T) {
	keys := keysFor(t, Groth16)
	b, err := keys.MarshalCache()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	fp := keys.VerifyingKey.Fingerprint()
	got, err := DangerousParseKeyCache(b, sum, &fp)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := got.MarshalCache(); !bytes.Equal(again, b) {
		t.Fatal("cached keys do not re-encode identically")
	}
	f := newFixture(t, testShape)
	p, err := Prove(got, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatalf("proof with cached keys: %v", err)
	}
	bad := sum
	bad[31] ^= 1
	if _, err := DangerousParseKeyCache(b, bad, nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("wrong digest: %v", err)
	}
	other := fp
	other[0] ^= 1
	if _, err := DangerousParseKeyCache(b, sum, &other); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("wrong fingerprint: %v", err)
	}
	// A coordinate equal to the modulus (limbs of p) is refused even
	// under a matching digest.
	c := bytes.Clone(b)
	off := len(cacheMagic) + 2 + int(binary.BigEndian.Uint16(b[len(cacheMagic):])) + 4 + vkSize(testShape, Groth16) + 4 + 1
	for i, l := range fpModulus {
		binary.LittleEndian.PutUint64(c[off+8*i:], l)
	}
	if _, err := DangerousParseKeyCache(c, sha256.Sum256(c), nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("coordinate = modulus: %v", err)
	}
	if _, err := keysFor(t, PLONK).MarshalCache(); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("PLONK cache: %v", err)
	}
	var nilKeys *Keys
	if _, err := nilKeys.MarshalCache(); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("nil keys: %v", err)
	}
}

// FuzzDangerousParseKeyCache feeds arbitrary bytes, with their own digest
// (so that the unchecked decoder itself is reached), to
// DangerousParseKeyCache: never a panic, never more than the allocation
// ceiling plus what the shape's keys need, errors wrap ErrInvalidKey, and
// accepted bytes re-encode identically. It runs both with the built-in
// circuit pins (testShape has none: the circuit is recompiled) and with
// testShape's circuit pinned (the circuit is decoded only if its bytes
// match the pin). Seeds: the test keys' cache, cut, with a count header
// forged to 2³²−1, with a flipped flag byte, and the cache holding the
// circuit, as is and with gnark's length header forged.
func FuzzDangerousParseKeyCache(f *testing.F) {
	keys := keysFor(f, Groth16)
	b, err := keys.MarshalCache()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[:len(cacheMagic)+10])
	off := len(cacheMagic) + 2 + int(binary.BigEndian.Uint16(b[len(cacheMagic):])) + 4 + vkSize(testShape, Groth16) + 4
	bomb := bytes.Clone(b)
	binary.BigEndian.PutUint32(bomb[off+1+3*64:], 0xffffffff)
	f.Add(bomb)
	flag := bytes.Clone(b)
	flag[off] = 7
	f.Add(flag)
	// The same keys with their circuit, testShape pinned (testPins).
	pinned, err := keys.marshalCache(testPins)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pinned)
	forged := bytes.Clone(pinned)
	binary.LittleEndian.PutUint64(forged[off:], 1<<62) // gnark's own length header
	f.Add(forged)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, pins := range []func(Shape) (ccsPin, bool){builtinCCSPin, testPins} {
			var k *Keys
			var err error
			withinKeyCeiling(t, "DangerousParseKeyCache", func() { k, err = parseKeyCache(in, sha256.Sum256(in), nil, pins) })
			if err != nil {
				if !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("error %v does not wrap ErrInvalidKey", err)
				}
				continue
			}
			if again, err := k.marshalCache(pins); err != nil || !bytes.Equal(again, in) {
				t.Fatalf("accepted cache does not re-encode identically (%v)", err)
			}
		}
	})
}
