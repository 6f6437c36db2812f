package strictjson

import "testing"

// TestStrictFloat: a float64 destination (none is in this package's formats
// today) refuses numbers it cannot hold exactly, including ones whose
// exactness would be costly to establish.
func TestStrictFloat(t *testing.T) {
	var v struct {
		F float64 `json:"f"`
	}
	for _, ok := range []string{"0", "-0", "1", "9007199254740992", "0.5", "-2.5", "1e2", "0.125e3", "1180591620717411303424"} {
		if err := Unmarshal([]byte(`{"f":`+ok+`}`), &v); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"9007199254740993", "0.1", "1e400", "1e-400", "1e-999999999", "1e999999999", "1e300", "2.5e-324", "1180591620717411303425", `"1"`, "null"} {
		if err := Unmarshal([]byte(`{"f":`+bad+`}`), &v); err == nil {
			t.Errorf("%s accepted as %v", bad, v.F)
		}
	}
}
