package status

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"
)

type specExample struct {
	StatusListCredential struct {
		CredentialSubject struct {
			StatusPurpose string `json:"statusPurpose"`
			EncodedList   string `json:"encodedList"`
		} `json:"credentialSubject"`
	} `json:"statusListCredential"`
	EntryExample struct {
		StatusListIndex string `json:"statusListIndex"`
	} `json:"entryExample"`
	Decoded struct {
		UncompressedBytes int  `json:"uncompressedBytes"`
		Bits              int  `json:"bits"`
		AllZero           bool `json:"allZero"`
	} `json:"decoded"`
}

func loadSpecExample(t testing.TB) specExample {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/bitstring-status-list/spec-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex specExample
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestSpecExample decodes the encodedList of the Bitstring Status List v1.0
// Recommendation's example and checks what the vector says it holds.
func TestSpecExample(t *testing.T) {
	ex := loadSpecExample(t)
	bits, err := DecodeList(ex.StatusListCredential.CredentialSubject.EncodedList)
	if err != nil {
		t.Fatal(err)
	}
	if len(bits) != ex.Decoded.UncompressedBytes || len(bits)*8 != ex.Decoded.Bits {
		t.Fatalf("decoded %d bytes, vector says %d", len(bits), ex.Decoded.UncompressedBytes)
	}
	if ex.Decoded.AllZero != (bytes.Count(bits, []byte{0}) == len(bits)) {
		t.Fatal("allZero mismatch")
	}
	idx, err := ParseStatusListIndex(ex.EntryExample.StatusListIndex)
	if err != nil {
		t.Fatal(err)
	}
	if set, err := ListBit(bits, idx); err != nil || set {
		t.Fatalf("entry %d: set=%v err=%v", idx, set, err)
	}
}

func TestListRoundTripAndBitOrder(t *testing.T) {
	bits := make([]byte, MinStatusListBits/8)
	for _, i := range []uint64{0, 9, 94567, MinStatusListBits - 1} {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	// Index 0 is the most significant bit of byte 0.
	if bits[0] != 0x80 || bits[1] != 0x40 || bits[len(bits)-1] != 0x01 {
		t.Fatal("bit order")
	}
	enc, err := EncodeList(bits)
	if err != nil {
		t.Fatal(err)
	}
	if enc[0] != 'u' {
		t.Fatal("no multibase prefix")
	}
	dec, err := DecodeList(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec, bits) {
		t.Fatal("round trip")
	}
	for i, want := range map[uint64]bool{0: true, 1: false, 9: true, 94567: true, 94568: false, MinStatusListBits - 1: true} {
		if got, err := ListBit(dec, i); err != nil || got != want {
			t.Fatalf("bit %d = %v, %v", i, got, err)
		}
	}
	if _, err := ListBit(dec, MinStatusListBits); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("index past the end: %v", err)
	}
	if _, err := EncodeList(bits[:len(bits)-1]); !errors.Is(err, ErrListLength) {
		t.Fatalf("short list encode: %v", err)
	}
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestDecodeListRejects(t *testing.T) {
	ok := gz(t, make([]byte, MinStatusListBits/8))
	b64 := base64.RawURLEncoding.EncodeToString
	cases := map[string]struct {
		enc  string
		want error
	}{
		// Multibase.
		"empty":              {"", ErrMalformedList},
		"no prefix":          {b64(ok), ErrMalformedList},
		"base58 prefix":      {"z" + b64(ok), ErrMalformedList},
		"padded base64 (U)":  {"U" + base64.URLEncoding.EncodeToString(ok), ErrMalformedList},
		"padding after u":    {"u" + base64.URLEncoding.EncodeToString(ok) + "==", ErrMalformedList},
		"standard alphabet":  {"u" + base64.RawStdEncoding.EncodeToString(append(ok, 0xfb, 0xff)), ErrMalformedList},
		"whitespace":         {"u" + b64(ok)[:10] + "\n" + b64(ok)[10:], ErrMalformedList},
		"not gzip":           {"u" + b64(make([]byte, 64)), ErrMalformedList},
		"truncated gzip":     {"u" + b64(ok[:len(ok)-4]), ErrMalformedList},
		"trailing garbage":   {"u" + b64(append(append([]byte{}, ok...), 1, 2, 3)), ErrMalformedList},
		"too short (1 KB)":   {"u" + b64(gz(t, make([]byte, 1024))), ErrListLength},
		"one byte too short": {"u" + b64(gz(t, make([]byte, MinStatusListBits/8-1))), ErrListLength},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bits, err := DecodeList(tc.enc)
			if !errors.Is(err, tc.want) || bits != nil {
				t.Fatalf("got %d bytes, %v; want %v", len(bits), err, tc.want)
			}
		})
	}
}

// TestDecodeListBomb: 256 MiB of zeros compress to about 255 KB; expanding
// them is an error after MaxStatusListBits/8 bytes, not an allocation of
// 256 MiB.
func TestDecodeListBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 256 MiB")
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 256 {
		w.Write(zeros)
	}
	w.Close()
	t.Logf("256 MiB of zeros gzip to %d bytes", b.Len())
	enc := "u" + base64.RawURLEncoding.EncodeToString(b.Bytes())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeList(enc)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMalformedList) {
		t.Fatalf("bomb: got %v", err)
	}
	// The bomb is measured, never buffered: only the decoded input (about
	// 255 KB) and the decompressor's state are allocated.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("decoding the bomb allocated %d bytes", alloc)
	}
}

func TestParseStatusListIndex(t *testing.T) {
	for s, want := range map[string]uint64{"0": 0, "94567": 94567, "18446744073709551615": ^uint64(0)} {
		if got, err := ParseStatusListIndex(s); err != nil || got != want {
			t.Errorf("%q: %d, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "-1", "+1", "01", " 1", "1 ", "1e3", "0x10", "18446744073709551616", "١"} {
		if _, err := ParseStatusListIndex(s); !errors.Is(err, ErrMalformedList) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if FormatStatusListIndex(94567) != strconv.Itoa(94567) {
		t.Fatal("format")
	}
}
