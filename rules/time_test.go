package rules

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The fast path of ParseTime must give exactly what time.Parse gives, and
// refuse what time.Parse refuses.
func TestParseUTCSeconds(t *testing.T) {
	cases := []string{
		"2026-10-20T09:30:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0000-03-01T00:00:00Z",
		"9999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2100-02-29T00:00:00Z",
		"2000-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z",
		"2026-01-01t00:00:00Z", "2026-01-01T00:00:00z", "2026-1-01T00:00:00Z", "20x6-01-01T00:00:00Z",
		"2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00.5Z", "2026-01-01", "",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ts := time.Unix(r.Int64N(1<<36)-1<<35, 0).UTC()
		cases = append(cases, ts.Format(time.RFC3339))
	}
	for _, s := range cases {
		want, werr := time.Parse(time.RFC3339Nano, s)
		got, ok := parseUTCSeconds(s)
		if ok && (werr != nil || !got.Equal(want) || got.Location() != want.Location() || got.String() != want.String()) {
			t.Fatalf("parseUTCSeconds(%q) = %v, time.Parse gives %v, %v", s, got, want, werr)
		}
		if !ok && werr == nil && len(s) == 20 && s[19] == 'Z' && want.Year() >= 1 {
			t.Errorf("parseUTCSeconds(%q) refused a time time.Parse reads as %v", s, want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	f.Add("2026-10-20T09:30:00Z")
	f.Add("2024-02-29T23:59:59Z")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTCSeconds(s)
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !got.Equal(want) || got.String() != want.String() {
			t.Fatalf("parseUTCSeconds(%q) = %v, time.Parse gives %v, %v", s, got, want, err)
		}
	})
}

func TestParseTimeBytes(t *testing.T) {
	for _, s := range []string{
		"2026-10-20T09:30:00Z", "2026-10-20T09:30:00.5Z", "2026-10-20T09:30:00+02:00",
		"2026-10-20", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "20261020", "",
	} {
		want, wantErr := ParseTime(s)
		got, err := ParseTimeBytes([]byte(s))
		if (err != nil) != (wantErr != nil) || !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("ParseTimeBytes(%q) = %v, %v; ParseTime gives %v, %v", s, got, err, want, wantErr)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	times := []string{"2026-10-20T09:30:00Z", "2025-01-31T23:59:59Z", "2026-03-01T00:00:00Z", "1999-12-31T12:00:00Z"}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range times {
			if _, err := ParseTime(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
