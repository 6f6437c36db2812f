package credential

import (
	"github.com/zkcred/zkcred/credential/zkhash"

	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func personValues() map[string]any {
	return map[string]any{
		"birthDate":         "1990-05-17",
		"district":          "07",
		"nationality":       "FR",
		"vehicleCategory":   "B",
		"vehicleRegistered": true,
		"voterEligible":     true,
		"residentSince":     time.Date(2015, 3, 1, 12, 0, 0, 0, time.UTC),
	}
}

func TestEncodeDate(t *testing.T) {
	for _, tc := range []struct {
		date string
		want uint64
	}{
		{"1800-01-01", 1},
		{"1800-01-02", 2},
		{"1801-01-01", 366},       // 1800 is not a leap year
		{"1970-01-01", 62092},     // 170·365 + 41 leap days + 1
		{"2000-02-29", 73108 + 1}, // leap day
	} {
		d, _ := time.Parse(time.DateOnly, tc.date)
		got, err := EncodeDate(d)
		if err != nil {
			t.Fatalf("%s: %v", tc.date, err)
		}
		if tc.date == "2000-02-29" {
			// Cross-check against the day after and before.
			prev, _ := EncodeDate(d.AddDate(0, 0, -1))
			next, _ := EncodeDate(d.AddDate(0, 0, 1))
			if prev+1 != got || got+1 != next {
				t.Errorf("leap day not contiguous: %d %d %d", prev, got, next)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("EncodeDate(%s) = %d, want %d", tc.date, got, tc.want)
		}
		back, err := DecodeDate(got)
		if err != nil || back.Format(time.DateOnly) != tc.date {
			t.Errorf("DecodeDate(%d) = %v, %v", got, back, err)
		}
	}
	// The calendar date is taken in t's own location.
	loc := time.FixedZone("UTC+14", 14*3600)
	a, _ := EncodeDate(time.Date(2000, 1, 1, 0, 30, 0, 0, loc)) // 1999-12-31T10:30Z
	b, _ := EncodeDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	if a != b {
		t.Errorf("location: %d != %d", a, b)
	}
	// Out of range.
	for _, d := range []time.Time{
		time.Date(1799, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		if _, err := EncodeDate(d); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("EncodeDate(%v) err = %v", d, err)
		}
	}
	for _, n := range []uint64{0, math.MaxUint64} {
		if _, err := DecodeDate(n); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("DecodeDate(%d) err = %v", n, err)
		}
	}
}

func TestPersonSchemaEncode(t *testing.T) {
	s := PersonSchema()
	slots, err := s.Encode(personValues())
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 16 {
		t.Fatalf("%d slots", len(slots))
	}
	bd, _ := time.Parse(time.DateOnly, "1990-05-17")
	wantBD, _ := EncodeDate(bd)
	var e fr.Element
	e.SetUint64(wantBD)
	if !slots[0].Equal(&e) {
		t.Errorf("birthDate slot %s, want %d", slots[0].String(), wantBD)
	}
	if h := zkhash.String("07"); !slots[1].Equal(&h) {
		t.Error("district slot is not zkhash.String")
	}
	if !slots[4].IsOne() || !slots[5].IsOne() {
		t.Error("bool slots")
	}
	for i := len(s.Attributes); i < 16; i++ {
		if !slots[i].IsZero() {
			t.Errorf("padding slot %d not zero", i)
		}
	}
	i, a, err := s.Slot("district")
	if err != nil || i != 1 || a.Type != TypeString {
		t.Errorf("Slot(district) = %d %v %v", i, a, err)
	}
	op, err := s.EncodeAttribute("district", "07")
	if err != nil || !op.Equal(&slots[1]) {
		t.Errorf("EncodeAttribute: %v", err)
	}
	canon, err := s.Canonical(personValues())
	if err != nil {
		t.Fatal(err)
	}
	if canon["residentSince"] != "2015-03-01" || canon["birthDate"] != "1990-05-17" {
		t.Errorf("canonical dates: %v", canon)
	}
	// The canonical form encodes to the same slots.
	again, err := s.Encode(canon)
	if err != nil {
		t.Fatal(err)
	}
	for i := range slots {
		if !again[i].Equal(&slots[i]) {
			t.Fatalf("slot %d differs after canonicalisation", i)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	s, err := NewSchema("test/all", 1, 8,
		Attribute{Name: "u8", Type: TypeUint, Bits: 8},
		Attribute{Name: "u64", Type: TypeUint, Bits: 64},
		Attribute{Name: "d", Type: TypeDate},
		Attribute{Name: "ts", Type: TypeTimestamp},
		Attribute{Name: "b", Type: TypeBool},
		Attribute{Name: "e", Type: TypeEnum, Enum: []string{"A", "B", "C"}},
		Attribute{Name: "s", Type: TypeString},
	)
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{"u8": 255, "u64": uint64(math.MaxUint64), "d": "1800-01-01", "ts": int64(0), "b": false, "e": "C", "s": ""}
	}
	slots, err := s.Encode(good())
	if err != nil {
		t.Fatal(err)
	}
	var max fr.Element
	max.SetUint64(math.MaxUint64)
	if !slots[1].Equal(&max) {
		t.Error("u64 max")
	}
	var three fr.Element
	three.SetUint64(3)
	if !slots[5].Equal(&three) {
		t.Error("enum C must encode as 3")
	}
	for _, tc := range []struct {
		name string
		key  string
		val  any
	}{
		// Out of range: never reduced modulo anything.
		{"uint over width", "u8", 256},
		{"negative int", "u8", -1},
		{"negative int64", "u64", int64(-1)},
		{"fractional float", "u8", 1.5},
		{"float above 2^53", "u64", 1e300},
		{"number with leading zero", "u8", json.Number("01")},
		{"number with exponent", "u8", json.Number("1e2")},
		{"negative number", "u8", json.Number("-1")},
		{"number over 2^64", "u64", json.Number("18446744073709551616")},
		{"uint as string", "u8", "12"},
		{"date before origin", "d", "1799-12-31"},
		{"date not canonical", "d", "1990-5-17"},
		{"date with time", "d", "1990-05-17T00:00:00Z"},
		{"date invalid day", "d", "1990-02-30"},
		{"date as number", "d", 12},
		{"timestamp before 1970", "ts", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"timestamp negative", "ts", -5},
		{"timestamp above int64", "ts", uint64(math.MaxUint64)},
		{"bool as int", "b", 1},
		{"bool as string", "b", "true"},
		{"unknown enum value", "e", "D"},
		{"enum as code", "e", 1},
		{"string too long", "s", strings.Repeat("x", MaxStringLen+1)},
		{"string invalid UTF-8", "s", "\xff"},
		{"string as bytes", "s", []byte("x")},
		{"nil value", "s", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := good()
			v[tc.key] = tc.val
			if _, err := s.Encode(v); !errors.Is(err, ErrSchemaMismatch) {
				t.Errorf("err = %v, want ErrSchemaMismatch", err)
			}
		})
	}
	t.Run("missing attribute", func(t *testing.T) {
		v := good()
		delete(v, "b")
		if _, err := s.Encode(v); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown attribute", func(t *testing.T) {
		v := good()
		v["extra"] = 1
		if _, err := s.Encode(v); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("too long is also ErrTooLarge", func(t *testing.T) {
		v := good()
		v["s"] = strings.Repeat("x", MaxStringLen+1)
		if _, err := s.Encode(v); !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSchemaValidate(t *testing.T) {
	u := Attribute{Name: "a", Type: TypeUint, Bits: 8}
	for _, tc := range []struct {
		name string
		s    Schema
	}{
		{"empty name", Schema{Name: "", Version: 1, Slots: 1, Attributes: []Attribute{u}}},
		{"name with space", Schema{Name: "a b", Version: 1, Slots: 1, Attributes: []Attribute{u}}},
		{"version 0", Schema{Name: "x", Version: 0, Slots: 1, Attributes: []Attribute{u}}},
		{"no slots", Schema{Name: "x", Version: 1, Slots: 0, Attributes: []Attribute{u}}},
		{"too many slots", Schema{Name: "x", Version: 1, Slots: MaxSlots + 1, Attributes: []Attribute{u}}},
		{"no attributes", Schema{Name: "x", Version: 1, Slots: 1}},
		{"more attributes than slots", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{u, {Name: "b", Type: TypeBool}}}},
		{"duplicate attribute", Schema{Name: "x", Version: 1, Slots: 2, Attributes: []Attribute{u, u}}},
		{"attribute named id", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "id", Type: TypeBool}}}},
		{"bad attribute name", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "1a", Type: TypeBool}}}},
		{"uint width 0", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeUint}}}},
		{"uint width 65", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeUint, Bits: 65}}}},
		{"bits on bool", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeBool, Bits: 1}}}},
		{"enum on string", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeString, Enum: []string{"x"}}}}},
		{"empty enum", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeEnum}}}},
		{"duplicate enum", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeEnum, Enum: []string{"x", "x"}}}}},
		{"empty enum value", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: TypeEnum, Enum: []string{""}}}}},
		{"unknown type", Schema{Name: "x", Version: 1, Slots: 1, Attributes: []Attribute{{Name: "a", Type: "float"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Validate(); !errors.Is(err, ErrInvalidSchema) {
				t.Errorf("err = %v", err)
			}
			if _, err := tc.s.Encode(map[string]any{}); !errors.Is(err, ErrInvalidSchema) {
				t.Errorf("Encode err = %v", err)
			}
		})
	}
}

const goldenPersonID = "1cb1da824346617ab36a14ef3e0c0972a24c60bdced88138f62cb5e039d3d55e"

func TestSchemaIDAndJSON(t *testing.T) {
	s := PersonSchema()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"format":"zkcred-schema-v1","name":"zkcred/person","version":1,"slots":16,`) {
		t.Errorf("canonical form %s", b)
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	id1, id2 := s.ID(), back.ID()
	if !id1.Equal(&id2) {
		t.Error("id changed in JSON round trip")
	}
	if want := zkhash.Bytes(zkhash.TagSchema, b); !id1.Equal(&want) {
		t.Error("id is not zkhash.Bytes(zkhash.TagSchema, canonical JSON)")
	}
	// Golden: changing the person schema, its canonical form or the hash
	// suite changes this value, and every credential issued under it.
	if got := id1.Text(16); got != goldenPersonID {
		t.Errorf("PersonSchema().ID() = %s, want %s", got, goldenPersonID)
	}
	// Any change to the schema changes the id.
	s8, err := s.WithSlots(8)
	if err != nil {
		t.Fatal(err)
	}
	v2 := PersonSchema()
	v2.Version = 2
	swapped := PersonSchema()
	swapped.Attributes[1], swapped.Attributes[2] = swapped.Attributes[2], swapped.Attributes[1]
	for name, o := range map[string]*Schema{"slots": s8, "version": v2, "order": swapped} {
		if oid := o.ID(); oid.Equal(&id1) {
			t.Errorf("%s: same id", name)
		}
	}
	// Strict decoding.
	for name, in := range map[string]string{
		"unknown member":   strings.Replace(string(b), `"slots":16`, `"slots":16,"x":1`, 1),
		"duplicate member": strings.Replace(string(b), `"slots":16`, `"slots":16,"slots":16`, 1),
		"other format":     strings.Replace(string(b), "zkcred-schema-v1", "zkcred-schema-v2", 1),
		"invalid schema":   strings.Replace(string(b), `"slots":16`, `"slots":0`, 1),
		"trailing data":    string(b) + "{}",
		"not an object":    `[]`,
	} {
		var x Schema
		if err := json.Unmarshal([]byte(in), &x); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name != "trailing data" && !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := json.Marshal(&Schema{}); err == nil {
		t.Error("marshalled an invalid schema")
	}
}
