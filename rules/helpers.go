package rules

import (
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/types"

	"github.com/qualifyhq/qualify/parser"
)

// MaxNodes bounds the size of one expression, so that a hostile policy
// cannot make the compiler or the VM do unbounded work.
const MaxNodes = 5000

var timeZero time.Time

// helperArity is the number of arguments each helper takes as written; the
// compiler appends the evaluation time as a last, hidden argument.
var helperArity = map[string]int{"days_since": 1, "days_until": 1, "within": 2}

// helperOptions define the helpers for expr, with their types for checking.
var helperOptions = []expr.Option{
	expr.Function("days_since", func(args ...any) (any, error) {
		t, now, err := helperTimes("days_since", args)
		if err != nil {
			return nil, err
		}
		return int(now.Sub(t) / (24 * time.Hour)), nil
	}, new(func(time.Time, time.Time) int)),
	expr.Function("days_until", func(args ...any) (any, error) {
		t, now, err := helperTimes("days_until", args)
		if err != nil {
			return nil, err
		}
		return int(t.Sub(now) / (24 * time.Hour)), nil
	}, new(func(time.Time, time.Time) int)),
	expr.Function("within", func(args ...any) (any, error) {
		if len(args) != 3 {
			return nil, fmt.Errorf("within takes a time and a duration")
		}
		t, err := asTime("within", args[0])
		if err != nil {
			return nil, err
		}
		now, _ := args[2].(time.Time)
		var d time.Duration
		switch x := args[1].(type) {
		case string:
			var ok bool
			if d, ok = parser.ParseDuration(x); !ok {
				return nil, fmt.Errorf("within: invalid duration %q (write it as \"30d\", \"12h\" or \"2w\")", x)
			}
		case time.Duration:
			d = x
		default:
			return nil, fmt.Errorf("within: the second argument must be a duration such as \"30d\", not %s", typeName(args[1]))
		}
		diff := now.Sub(t)
		if diff < 0 {
			diff = -diff
		}
		return diff <= d, nil
	}, new(func(time.Time, string, time.Time) bool), new(func(time.Time, time.Duration, time.Time) bool)),
}

func helperTimes(name string, args []any) (time.Time, time.Time, error) {
	if len(args) != 2 {
		return time.Time{}, time.Time{}, fmt.Errorf("%s takes one time", name)
	}
	t, err := asTime(name, args[0])
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	now, _ := args[1].(time.Time)
	return t, now, nil
}

// asTime accepts a time, or for dynamic facts an RFC 3339 string.
func asTime(name string, x any) (time.Time, error) {
	switch t := x.(type) {
	case time.Time:
		return t, nil
	case string:
		if v, err := ParseTime(t); err == nil {
			return v, nil
		}
		return time.Time{}, fmt.Errorf("%s: %q is not a time (RFC 3339, such as 2026-11-01T00:00:00Z)", name, t)
	case nil:
		return time.Time{}, fmt.Errorf("%s: the time is missing (nil)", name)
	}
	return time.Time{}, fmt.Errorf("%s: want a time, got %s", name, typeName(x))
}

// ParseTime parses a time as facts give it: RFC 3339 with or without
// fractional seconds, or a date alone (midnight UTC).
func ParseTime(s string) (time.Time, error) {
	return parseTime(s)
}

// ParseTimeBytes is ParseTime of the time written in b. The common form
// ("2026-10-20T09:30:00Z") is read without copying b into a string.
func ParseTimeBytes(b []byte) (time.Time, error) {
	return parseTime(b)
}

// parseTime is ParseTime and ParseTimeBytes, which the compiler inlines
// into their callers.
func parseTime[T string | []byte](s T) (time.Time, error) {
	if t, ok := parseUTCSeconds(s); ok {
		return t, nil
	}
	return parseTimeSlow(string(s))
}

// parseTimeSlow is ParseTime of the forms the fast path leaves.
func parseTimeSlow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

func typeName(x any) string {
	if x == nil {
		return "nil"
	}
	return reflect.TypeOf(x).String()
}

// disabledBuiltins are expr builtins conditions may not call: now() would
// make results depend on the clock instead of the evaluation time, and
// repeat() can allocate without bound before the memory budget sees it.
var disabledBuiltins = []string{"now", "repeat"}

// newConfig returns an expr configuration checking against env.
func newConfig(env types.Map) *conf.Config {
	cfg := conf.CreateNew()
	cfg.WithEnv(env)
	for _, opt := range helperOptions {
		opt(cfg)
	}
	for _, name := range disabledBuiltins {
		delete(cfg.Builtins, name)
		cfg.Disabled[name] = true
	}
	cfg.MaxNodes = MaxNodes
	cfg.Check()
	return cfg
}

// natureType adapts a checked expression's nature to expr's types.Type, so
// that a let's type is known to the conditions that read it.
type natureType struct{ n nature.Nature }

func (t natureType) Nature() nature.Nature { return t.n }

func (t natureType) Equal(o types.Type) bool {
	if o == types.Any {
		return true
	}
	return o.Nature().Type == t.n.Type
}

func (t natureType) String() string { return t.n.String() }

// typeOfNature names a checked type the way the language does.
func typeOfNature(n nature.Nature) string {
	if n.Nil {
		return "nil"
	}
	if n.Type == nil {
		return "any"
	}
	switch {
	case n.Type == reflect.TypeOf(timeZero):
		return "time"
	case n.Type == reflect.TypeOf(time.Duration(0)):
		return "duration"
	}
	switch n.Type.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Interface:
		return "any"
	}
	return n.Type.String()
}

// parseUTCSeconds is the fast path of ParseTime for the form CRMs send
// most, "2026-10-20T09:30:00Z": it gives what time.Parse gives, and
// leaves every other form (and every invalid date, and the year 0) to
// time.Parse.
//
// It reads s as three little-endian words, bytes 0-7, 8-15 and 12-19, and
// checks all their bytes at once (see utcShape).
func parseUTCSeconds[T string | []byte](s T) (time.Time, bool) {
	if len(s) != 20 {
		return time.Time{}, false
	}
	// z = x^low turns each digit into its value and a right separator
	// into 0. A byte of z above its max (9 or 0) has its top bit set, or
	// gets it when slack (0x7f-max) is added; no byte carries into the
	// next unless it fails itself, so the lowest failing byte always shows.
	z0 := le64(s, 0) ^ utcShape[0].low
	z1 := le64(s, 8) ^ utcShape[1].low
	z2 := le64(s, 12) ^ utcShape[2].low
	over := (z0 + utcShape[0].slack) | z0 | (z1 + utcShape[1].slack) | z1 | (z2 + utcShape[2].slack) | z2
	if over&0x8080808080808080 != 0 {
		return time.Time{}, false
	}
	// Multiplying by 10<<8+1 adds ten times each byte to the next one, so
	// the second byte of each two-digit number becomes its value (at most
	// 99: nothing carries).
	const tens = 10<<8 + 1
	z0, z1, z2 = z0*tens, z1*tens, z2*tens
	year := int(byte(z0>>8))*100 + int(byte(z0>>24))
	m := uint(byte(z0>>48)) - 1 // month - 1, below 12 if valid
	day := int(byte(z1 >> 8))
	hour, minute, sec := int(byte(z1>>32)), int(byte(z1>>56)), int(byte(z2>>48))
	if year == 0 || m >= 12 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	if uint(day-1) >= uint(monthDays[m]) && !(m == 1 && day == 29 && isLeap(year)) {
		return time.Time{}, false
	}
	days := daysFromCivil(year, m, day)
	return time.Unix(days*86400+int64(hour*3600+minute*60+sec), 0).UTC(), true
}

// utcShape describes the three words parseUTCSeconds reads: low has the
// least byte allowed at each place ('0' for a digit, or the separator),
// and slack has 0x7f less the most a byte may be above it (9 for a digit,
// 0 for a separator).
var utcShape = func() (shape [3]struct{ low, slack uint64 }) {
	const low, high = "0000-00-00T00:00:00Z", "9999-99-99T99:99:99Z"
	for i, at := range []int{0, 8, 12} {
		shape[i].low = le64(low, at)
		shape[i].slack = 0x7f7f7f7f7f7f7f7f - (le64(high, at) - le64(low, at))
	}
	return shape
}()

// le64 reads s[i:i+8] as a little-endian word: s[i] is its low byte. The
// compiler merges the eight byte loads into one.
func le64[T string | []byte](s T, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// monthDays is the length of each month, January first (of February in
// a common year).
var monthDays = [12]uint8{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func isLeap(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

// daysBeforeMonth counts the days from March 1 to the first of each
// month, January first: January and February count as the 11th and 12th
// months of the year before.
var daysBeforeMonth = [12]uint16{306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275}

// daysFromCivil counts the days from 1970-01-01 to a date of the proleptic
// Gregorian calendar, year >= 1, m = month - 1 < 12. Counting from a year
// that starts in March puts the leap day at its end.
func daysFromCivil(year int, m uint, day int) int64 {
	y := uint32(year) // 32-bit unsigned divisions are the cheapest
	if m < 2 {
		y--
	}
	c := y / 100
	days := 365*y + y/4 - c + c/4 + uint32(daysBeforeMonth[m]) + uint32(day) - 1
	return int64(days) - 719468 // the days from 0000-03-01 to 1970-01-01
}
