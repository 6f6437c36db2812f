package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

func TestLoadRegisterFile(t *testing.T) {
	dir := t.TempDir()
	good := `{"version":"zkcred-register-v1","records":[
		{"id":"citizen-1","values":{"birthDate":"1990-05-17","district":"07","nationality":"DE","vehicleCategory":"B",
		 "vehicleRegistered":true,"voterEligible":true,"residentSince":"2015-06-01","extra":9007199254740991},
		 "validUntil":"2030-01-01T00:00:00Z"}]}`
	write := func(s string) string {
		p := filepath.Join(dir, "register.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := LoadRegisterFile(write(good))
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Record(context.Background(), "citizen-1")
	if err != nil {
		t.Fatal(err)
	}
	// Numbers keep their exact text (no float64 rounding).
	if r.Values["extra"] != json.Number("9007199254740991") || r.ValidUntil.Year() != 2030 {
		t.Fatalf("record %+v", r)
	}
	for name, s := range map[string]string{
		"other version":    strings.Replace(good, "zkcred-register-v1", "zkcred-register-v2", 1),
		"unknown member":   strings.Replace(good, `"id":"citizen-1"`, `"id":"citizen-1","pin":"1234"`, 1),
		"duplicate member": strings.Replace(good, `"id":"citizen-1"`, `"id":"citizen-1","id":"citizen-2"`, 1),
		"case variant":     strings.Replace(good, `"validUntil"`, `"ValidUntil"`, 1),
		"repeated id":      strings.Replace(good, `]}`, `,{"id":"citizen-1","values":{}}]}`, 1),
		"empty id":         strings.Replace(good, `"id":"citizen-1"`, `"id":""`, 1),
		// 2^53+1: a float64 reader (JavaScript) reads 2^53, so two
		// registers would disagree on the value (did/strictjson).
		"2^53+1":       strings.Replace(good, "9007199254740991", "9007199254740993", 1),
		"-2^53":        strings.Replace(good, "9007199254740991", "-9007199254740992", 1),
		"huge integer": strings.Replace(good, "9007199254740991", "12345678901234567890", 1),
	} {
		if _, err := LoadRegisterFile(write(s)); !errors.Is(err, openid4vci.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
