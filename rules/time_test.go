package rules

import (
	"fmt"
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
		checkUTCSeconds(t, s)
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

// Every byte value at every place of a few times, and every two-digit
// month, day, hour, minute and second of years around the leap rules.
func TestParseUTCSecondsBytes(t *testing.T) {
	for _, tmpl := range []string{"2026-10-20T09:30:00Z", "2024-02-29T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T19:09:50Z"} {
		for i := range len(tmpl) {
			for c := range 256 {
				b := []byte(tmpl)
				b[i] = byte(c)
				checkUTCSeconds(t, string(b))
			}
		}
	}
	for _, y := range []string{"0000", "0001", "0004", "0100", "0400", "1600", "1900", "1970", "2000", "2023", "2024", "2100", "9999"} {
		for a := range 100 {
			for b := range 100 {
				checkUTCSeconds(t, fmt.Sprintf("%s-%02d-%02dT12:30:45Z", y, a, b))
			}
			checkUTCSeconds(t, fmt.Sprintf("%s-03-01T%02d:%02d:%02dZ", y, a, a, a))
			checkUTCSeconds(t, fmt.Sprintf("%s-03-01T23:%02d:%02dZ", y, a, 99-a))
		}
	}
}

// FuzzParseTime checks the fast path against time.Parse and against the
// fast path as it was first written, on the input and on the input laid
// over a 20-byte time (so that most inputs reach the date checks).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-10-20T09:30:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "0000-03-01T00:00:00Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-1:-20T09:30:00Z", "2026-10-20T09:3/:00Z",
		"2026-10-20T09:30:00\xff", "\xff\xff\xff\xff-\xff\xff-\xff\xffT\xff\xff:\xff\xff:\xff\xffZ",
		"2026-10-20T09:30:00.5Z", "2026-10-20",
	} {
		f.Add(s)
	}
	const template = "2026-10-20T09:30:00Z"
	f.Fuzz(func(t *testing.T, s string) {
		checkUTCSeconds(t, s)
		if len(s) < 20 {
			s += template[len(s):]
		}
		checkUTCSeconds(t, s[:20])
	})
}

func checkUTCSeconds(t *testing.T, s string) {
	got, ok := parseUTCSeconds(s)
	gotB, okB := parseUTCSeconds([]byte(s))
	before, okBefore := parseUTCSecondsBefore(s)
	if got != before || ok != okBefore || gotB != got || okB != ok {
		t.Fatalf("parseUTCSeconds(%q) = %#v, %v (of bytes %#v, %v); before it gave %#v, %v", s, got, ok, gotB, okB, before, okBefore)
	}
	want, err := time.Parse(time.RFC3339, s)
	if ok && (err != nil || got != want) {
		t.Fatalf("parseUTCSeconds(%q) = %#v, time.Parse gives %#v, %v", s, got, want, err)
	}
	if !ok && err == nil && len(s) == 20 && s[19] == 'Z' && want.Year() >= 1 {
		t.Fatalf("parseUTCSeconds(%q) refused a time time.Parse reads as %v", s, want)
	}
	pt, perr := ParseTime(s)
	pb, pberr := ParseTimeBytes([]byte(s))
	if pt != pb || (perr == nil) != (pberr == nil) || (ok && (pt != got || perr != nil)) {
		t.Fatalf("ParseTime(%q) = %v, %v; ParseTimeBytes gives %v, %v", s, pt, perr, pb, pberr)
	}
}

// parseUTCSecondsBefore is parseUTCSeconds as first written, digit by
// digit, kept to check the faster one against.
func parseUTCSecondsBefore(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	var bad byte
	digit := func(i int) int {
		d := s[i] - '0'
		bad |= d&^0x0f | (d+6)&0x10 // set unless 0 <= d <= 9
		return int(d)
	}
	year := digit(0)*1000 + digit(1)*100 + digit(2)*10 + digit(3)
	month := digit(5)*10 + digit(6)
	day := digit(8)*10 + digit(9)
	hour := digit(11)*10 + digit(12)
	minute := digit(14)*10 + digit(15)
	sec := digit(17)*10 + digit(18)
	daysIn := 31
	switch month {
	case 2:
		daysIn = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			daysIn = 29
		}
	case 4, 6, 9, 11:
		daysIn = 30
	}
	if bad != 0 || year < 1 || month < 1 || month > 12 || day < 1 ||
		day > daysIn || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	y, m := year, month
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	return time.Unix(days*86400+int64(hour*3600+minute*60+sec), 0).UTC(), true
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

func BenchmarkParseTimeBytes(b *testing.B) {
	times := [][]byte{[]byte("2026-10-20T09:30:00Z"), []byte("2025-01-31T23:59:59Z"), []byte("2026-03-01T00:00:00Z"), []byte("1999-12-31T12:00:00Z")}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range times {
			if _, err := ParseTimeBytes(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
