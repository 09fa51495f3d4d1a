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
	if t, ok := parseUTCSeconds(s); ok {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

// ParseTimeBytes is ParseTime of the time written in b. The common form
// ("2026-10-20T09:30:00Z") is read without copying b into a string.
func ParseTimeBytes(b []byte) (time.Time, error) {
	if t, ok := parseUTCSeconds(b); ok {
		return t, nil
	}
	return ParseTime(string(b))
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
// leaves every other form (and every invalid date) to time.Parse.
func parseUTCSeconds[T string | []byte](s T) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	// Each digit minus '0' is below 10 only for a digit; or-ing the
	// differences catches any non-digit at once.
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
	if bad != 0 || year < 1 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	days := daysFromCivil(year, month, day)
	return time.Unix(days*86400+int64(hour*3600+minute*60+sec), 0).UTC(), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts the days from 1970-01-01 to a date of the proleptic
// Gregorian calendar.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0: the caller passes years from 1
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
