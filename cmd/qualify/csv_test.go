package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// csvPolicy declares facts of every type, objects two levels deep (one
// read whole), a required fact and an event list, and reads them all.
const csvPolicy = `policy "csv" version "1"

facts {
  id                    string        required
  company.name          string
  company.size.staff    int
  company.size.revenue  number
  company.remote        bool
  company.founded       time
  contact.roles         list<string>
  scores                list<int>
  weights               list<number>
  cadence               duration
  events                list<event>
}

let staff = company.size.staff ?? 0
let size  = company.size

framework Fit qualified when met >= 1 {
  size   "Size"   when company.size.staff >= 50 && company.size.revenue > 1000000
  roles  "Roles"  when len(contact.roles) > 0 && all(contact.roles, # != "")
}

score fit max 100 min -100 {
  +(staff / 10) "Staff"   when staff > 0
  +2  "Remote"            when company.remote
  +1  "Name"              when company.name contains "é" || company.name startsWith "A"
  +4  "Founded"           when days_since(company.founded) > 30
  +1  "Lead id"           when id matches "^L-[0-9]+$"
  +(sum(scores)) "Scores" when len(scores) > 0
  +1  "Weights"           when any(weights, # > 0.5)
  +1  "Cadence"           when cadence <= duration("72h")
  +(len(size)) "Size"     when size != nil
  +3  "Webinar"           each events where .type == "webinar" limit 2 halflife 14d
  +1  "Tagged"            each events where len(.tags ?? []) > 1
}

classify stage {
  sql          when score.total >= 20 && Fit.qualified
  mql          when score.total >= 5
  unqualified
}
`

// csvCells are cells of every kind for each column, the typical and the
// odd: what typedCell converts and what it leaves a string. csvOdd are
// cells JSON cannot carry as they are (invalid UTF-8, numbers JSON cannot
// write or results would show rounded, a JSON cell with trailing text),
// which csvFacts handles.
var csvCells = map[string][]string{
	"id":                   {"L-1", "L-22", " L-3 ", "x", "é", ""},
	"company.name":         {"Acme", "Éclair", " spaced ", `"quoted"`, `back\slash`, "ctl\x01", "tab\t", "a|b", "", "  "},
	"company.size.staff":   {"12", " 250 ", "-0", "+5", "12.0", "1e2", "12.5", "lots", "0x10", "9007199254740993", "9223372036854775808", "1_000", "", " "},
	"company.size.revenue": {"3.5", "2000000", "1e7", ".5", "5.", "+1", "0.25", "abc", "1_0", "0x1p3", "1e-9", ""},
	"company.remote":       {"true", "false", "TRUE", "T", "f", "1", "0", "yes", " true ", ""},
	"company.founded":      {"2026-10-20T09:30:00Z", "2025-01-01", " 2026-10-20 ", "2026-10-20T09:30:00+02:00", "yesterday", ""},
	"contact.roles":        {"vp|cto", " vp | cto ", "vp||", `["vp","cto"]`, `[1,2]`, "[", "single", "[]", `[ "vp" ]`, `["\u00e9"]`, ""},
	"scores":               {"[1,2]", "[3]", "1|2", "[1.5]", "[]", `["x"]`, "[1e2]", "[1,2,]", ""},
	"weights":              {"[0.7,0.2]", "[1e-3]", "[]", "0.7", `[-0, 1E+2]`, ""},
	"cadence":              {"72h", "24h", "3d", "bad", " 1h ", ""},
	"events": {
		`[{"type":"webinar","at":"2026-10-02T16:00:00Z"}]`,
		`[{"type":"webinar","at":"2026-10-02T16:00:00Z","tags":["a","b"]},{"type":"page","at":"2026-09-01"}]`,
		`[{"type":"web\u0069nar","at":"2026-10-01T00:00:00Z","n":1.50}]`,
		`[{"type":"webinar"}]`,
		`[{"type":5,"at":"2026-10-01"}]`,
		`[1,2]`,
		`[]`,
		`{"type":"webinar"}`,
		"webinar",
		"",
	},
}

var csvOdd = map[string][]string{
	"id":                   {"\xff"},
	"company.name":         {"bad \xff utf8"},
	"company.size.staff":   {"1e30", "NaN", "Inf"},
	"company.size.revenue": {"NaN", "Inf", "-Inf", "1e400", "-0", "0.1234567891234"},
	"contact.roles":        {`["vp"] trailing`, `["\xff"]`, "é|\xff"},
	"events":               {`[{"type":"webinar","at":"2026-10-01"}] junk`, `[{"type":"w\xffb","at":"2026-10-01"}]`},
}

// TestCSV_jsonAgreesWithMaps makes random rows of random headers (columns
// in any order, some repeated, some not facts) and requires each row, as
// the JSON object the scorer gives the evaluator, to give what csvFacts'
// maps give: the same result, trace included, or the same error, with the
// trace and without.
func TestCSV_jsonAgreesWithMaps(t *testing.T) {
	pol, err := rules.Compile("csv.qual", csvPolicy)
	require.NoError(t, err)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	evs := []*eval.Evaluator{eval.New(pol, eval.WithNow(now)), eval.New(pol, eval.WithNow(now), eval.WithTrace(false))}
	outcome := func(ev *eval.Evaluator, facts any) string {
		res, err := ev.Evaluate(context.Background(), facts)
		if err != nil {
			return "error: " + err.Error()
		}
		return string(res.AppendJSON(nil))
	}
	names := make([]string, 0, len(csvCells))
	for name := range csvCells {
		names = append(names, name)
	}
	slices.Sort(names)
	rng := rand.New(rand.NewPCG(2026, 11))
	var direct, fallback, scored int
	for round := range 200 {
		// A header: a random subset of the facts in a random order, now and
		// then a column twice, an object's path or a name that is no fact.
		var header []string
		for _, i := range rng.Perm(len(names)) {
			if rng.IntN(5) > 0 {
				header = append(header, names[i])
			}
			if rng.IntN(12) == 0 {
				header = append(header, names[i])
			}
		}
		if rng.IntN(4) == 0 {
			header = append(header, []string{"company", "company.size", "nope", "company.nope"}[rng.IntN(4)])
		}
		if len(header) == 0 {
			continue
		}
		var text bytes.Buffer
		w := csv.NewWriter(&text)
		require.NoError(t, w.Write(header))
		for range 25 {
			row := make([]string, len(header))
			for i, h := range header {
				if odd := csvOdd[h]; len(odd) > 0 && rng.IntN(60) == 0 {
					row[i] = odd[rng.IntN(len(odd))]
				} else if cells, ok := csvCells[h]; ok {
					// Mostly one of the first two, which convert.
					row[i] = cells[rng.IntN(len(cells))]
					if rng.IntN(10) < 7 {
						row[i] = cells[rng.IntN(2)]
					}
				} else {
					row[i] = "x"
				}
			}
			require.NoError(t, w.Write(row))
		}
		w.Flush()

		var readErr error
		var warn bytes.Buffer
		cols, tree := csvColumnsFor(t, pol, header, &warn)
		for lead := range csvLeads(bytes.NewReader(text.Bytes()), pol, true, &readErr, &warn) {
			require.NoError(t, lead.Err)
			row := csvRowOf(t, text.Bytes(), lead.Seq, len(header))
			want := csvFacts(cols, row)
			b, ok := tree.appendJSON(nil, cols, row)
			if !ok {
				fallback++
				continue
			}
			direct++
			facts, err := lead.Load()
			require.NoError(t, err)
			assert.Equal(t, b, facts, "Load gives the row as JSON")
			for _, ev := range evs {
				got, exp := outcome(ev, b), outcome(ev, want)
				if got != exp {
					t.Fatalf("round %d, line %d: the row as JSON and as maps disagree\nheader: %q\nrow:    %q\nJSON:   %s\nas JSON: %s\nas maps: %s", round, lead.Seq, header, row, b, got, exp)
				}
				if !strings.HasPrefix(got, "error") {
					scored++
				}
			}
		}
		require.NoError(t, readErr)
	}
	t.Logf("%d rows as JSON (%d results), %d as maps", direct, scored, fallback)
	assert.Greater(t, direct, 4*fallback, "too few rows take the JSON path")
	assert.Greater(t, scored, direct/2, "too few rows evaluate without an error")
	assert.NotZero(t, fallback, "no row falls back to the maps")
}

// csvColumnsFor builds the columns and the JSON tree of a header as
// csvLeads does.
func csvColumnsFor(t *testing.T, pol *rules.Policy, header []string, warn *bytes.Buffer) ([]csvColumn, *csvObject) {
	t.Helper()
	cols := csvHeader(header, pol, warn)
	return cols, csvTree(cols)
}

// csvRowOf reads back the record that starts at line of a CSV text.
func csvRowOf(t *testing.T, text []byte, line, fields int) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(text))
	for {
		rec, err := r.Read()
		require.NoError(t, err)
		if l, _ := r.FieldPos(0); l == line {
			require.Len(t, rec, fields)
			return rec
		}
	}
}

// TestCSV_sameResultsAsJSONL scores the acme sample leads written as CSV
// and as JSONL and requires the same results.
func TestCSV_sameResultsAsJSONL(t *testing.T) {
	dir := t.TempDir()
	header := "company.industry,company.employees,company.revenue,contact.role,contact.email,contact.competitor,budget.approved,budget.amount,timeline.days,pains,activity.demo_requested,activity.pricing_views,activity.unsubscribed,activity.last_visit,events"
	rows := []string{
		`saas,250,8000000,vp,ana@acme.io,false,true,,30,manual scoring,true,2,false,2026-10-20T09:30:00Z,"[{""type"":""webinar"",""at"":""2026-10-02T16:00:00Z""},{""type"":""page"",""at"":""2026-10-20T09:30:00Z""}]"`,
		`retail,12,,intern,joe@gmail.com,,,,,,,,,,`,
		`fintech,lots,,,x@y.z,,,,,,,,,,`,
		`,,,,,true,,,,,,,,,`,
	}
	jsonl := []string{
		`{"company":{"industry":"saas","employees":250,"revenue":8000000},"contact":{"role":"vp","email":"ana@acme.io","competitor":false},"budget":{"approved":true},"timeline":{"days":30},"pains":["manual scoring"],"activity":{"demo_requested":true,"pricing_views":2,"unsubscribed":false,"last_visit":"2026-10-20T09:30:00Z"},"events":[{"type":"webinar","at":"2026-10-02T16:00:00Z"},{"type":"page","at":"2026-10-20T09:30:00Z"}]}`,
		`{"company":{"industry":"retail","employees":12},"contact":{"role":"intern","email":"joe@gmail.com"}}`,
		`{"company":{"industry":"fintech","employees":"lots"},"contact":{"email":"x@y.z"}}`,
		`{"contact":{"competitor":true}}`,
	}
	csvPath, jsonlPath := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "leads.jsonl")
	writeFile(t, csvPath, header+"\n"+strings.Join(rows, "\n")+"\n")
	writeFile(t, jsonlPath, strings.Join(jsonl, "\n")+"\n")
	for _, trace := range []string{"--trace=true", "--trace=false"} {
		code, fromCSV, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "--now", "2026-11-01", "--quiet", trace, csvPath)
		require.Equal(t, exitOK, code, errOut)
		code, fromJSONL, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "--now", "2026-11-01", "--quiet", trace, jsonlPath)
		require.Equal(t, exitOK, code, errOut)
		a, b := scoreLines(t, fromCSV), scoreLines(t, fromJSONL)
		require.Len(t, a, len(rows))
		require.Len(t, b, len(rows))
		for i := range a {
			assert.Equal(t, b[i]["result"], a[i]["result"], "%s lead %d", trace, i+1)
			assert.Equal(t, b[i]["error"], a[i]["error"], "%s lead %d", trace, i+1)
		}
	}
}

// TestCSV_badRows scores CSV files with rows that are not valid CSV: each
// such row gets an error at its line and the rows after it are scored, and
// a row over the size limit (an unterminated quote that would make the
// rest of the file one field) ends the file with an error, without
// reading it into memory.
func TestCSV_badRows(t *testing.T) {
	dir := t.TempDir()
	header := "contact.email,company.employees,pains\n"
	for _, tc := range []struct {
		name, text string
		code       int
		lines      []float64
		errs       []string
		stderr     string
	}{
		{
			name:  "a bare quote",
			text:  header + "a@b.c,10,x\n" + `a@b.c,1"0,x` + "\n" + "a@b.c,20,x\n",
			code:  exitOK,
			lines: []float64{2, 3, 4},
			errs:  []string{"", `invalid lead: CSV: bare " in non-quoted-field`, ""},
		},
		{
			name:  "a quoted field over lines",
			text:  header + "a@b.c,10,\"one\ntwo\"\n" + "a@b.c,20,x\n",
			code:  exitOK,
			lines: []float64{2, 4},
			errs:  []string{"", ""},
		},
		{
			name:  "an unterminated quote at the end",
			text:  header + "a@b.c,10,x\n" + "a@b.c,\"20,x\n" + "a@b.c,30,x\n",
			code:  exitOK,
			lines: []float64{2, 3},
			errs:  []string{"", `invalid lead: CSV: extraneous or missing " in quoted-field`},
		},
		{
			name:  "an unterminated quote in the first field",
			text:  header + "\"a@b.c,10,x\n" + "a@b.c,30,x\n",
			code:  exitOK,
			lines: []float64{2},
			errs:  []string{`invalid lead: CSV: extraneous or missing " in quoted-field`},
		},
		{
			name:   "a row too long",
			text:   header + "a@b.c,10,x\n" + "a@b.c,\"20,x\n" + strings.Repeat("a@b.c,30,x\n", eval.MaxFactsSize/10),
			code:   exitFail,
			lines:  []float64{2, 3},
			errs:   []string{"", "invalid lead: the row is over 8388608 bytes (an unterminated quote?)"},
			stderr: "line 3: a row over 8388608 bytes; the rest of the file is not read",
		},
		{
			name:   "a header too long",
			text:   `"` + strings.Repeat("x", eval.MaxFactsSize+128<<10),
			code:   exitFail,
			stderr: "the header row is over 8388608 bytes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
			writeFile(t, path, tc.text)
			code, out, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "--now", "2026-11-01", "--quiet", "--trace=false", path)
			assert.Equal(t, tc.code, code, errOut)
			if tc.stderr != "" {
				assert.Contains(t, errOut, tc.stderr)
			}
			if len(tc.lines) == 0 {
				assert.Empty(t, out)
				return
			}
			lines := scoreLines(t, out)
			require.Len(t, lines, len(tc.lines))
			for i, l := range lines {
				assert.Equal(t, tc.lines[i], l["line"], "lead %d", i)
				if tc.errs[i] == "" {
					assert.NotNil(t, l["result"], "lead %d: %v", i, l["error"])
				} else {
					assert.Equal(t, tc.errs[i], l["error"], "lead %d", i)
				}
			}
		})
	}
}

// FuzzCSV reads CSV texts with the columns of csvPolicy: reading them never
// panics, every row's lead comes in line order, and each row the scorer
// writes as JSON gives what csvFacts' maps give.
func FuzzCSV(f *testing.F) {
	header := "id,company.size.staff,company.size.revenue,company.name,contact.roles,events,cadence\n"
	f.Add(header + `L-1,250,2000000,Acme,vp|cto,"[{""type"":""webinar"",""at"":""2026-10-02""}]",24h` + "\n")
	f.Add(header + `L-2,12.0,1e7,"a ""b""",["vp"],[],bad` + "\n" + `L-3,lots,NaN,,,,` + "\n")
	f.Add(header + `"L-4,1,2,x,y,z,w` + "\n" + `L-5,1,2,x,y,z,w` + "\n")
	f.Add(header + `L-6,1"0,2,x,,,` + "\n")
	f.Add("company.size.staff,company.size.staff,nope,company\n1,,x,y\n,2,,\n")
	f.Add("\ufeffid\r\nL-7\r\n")
	f.Add("")
	pol, err := rules.Compile("csv.qual", csvPolicy)
	require.NoError(f, err)
	ev := eval.New(pol, eval.WithNow(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	outcome := func(facts any) string {
		res, err := ev.Evaluate(context.Background(), facts)
		if err != nil {
			return "error: " + err.Error()
		}
		return string(res.AppendJSON(nil))
	}
	f.Fuzz(func(t *testing.T, text string) {
		var readErr error
		last := 0
		for lead := range csvLeads(strings.NewReader(text), pol, true, &readErr, io.Discard) {
			if lead.Seq <= last {
				t.Fatalf("lead at line %d after one at line %d", lead.Seq, last)
			}
			last = lead.Seq
			if lead.Load != nil {
				if _, err := lead.Load(); err != nil {
					t.Fatalf("line %d: Load: %v", lead.Seq, err)
				}
			}
		}
		r := csv.NewReader(strings.NewReader(text))
		r.FieldsPerRecord = -1
		header, err := r.Read()
		if err != nil {
			return
		}
		cols := csvHeader(header, pol, io.Discard)
		tree := csvTree(cols)
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil || len(rec) != len(cols) {
				continue
			}
			b, ok := tree.appendJSON(nil, cols, rec)
			if !ok {
				continue
			}
			if got, want := outcome(b), outcome(csvFacts(cols, rec)); got != want {
				t.Fatalf("the row as JSON and as maps disagree\nrow:     %q\nJSON:    %s\nas JSON: %s\nas maps: %s", rec, b, got, want)
			}
		}
	})
}

// TestCSV_header warns about the columns of a header that are no facts,
// repeat another or, without facts, sit inside another.
func TestCSV_header(t *testing.T) {
	acme, err := rules.Load(filepath.Join("..", "..", "examples", "acme"))
	require.NoError(t, err)
	untyped, err := rules.Compile("u.qual", "policy \"u\" version \"1\"\nscore s {\n  +1 \"a\" when a == 1\n}\nclassify stage {\n  x\n}\n")
	require.NoError(t, err)
	for _, tc := range []struct {
		pol    *rules.Policy
		header []string
		want   []string
	}{
		{acme, []string{"contact.email", "company", "nope", "contact.email", " contact.email "}, []string{
			`qualify score: column 2 ("company") is not a fact of the policy; it is ignored`,
			`qualify score: column 3 ("nope") is not a fact of the policy; it is ignored`,
			`qualify score: column 4 ("contact.email") repeats column 1; in a row with both, the later cell wins unless it is empty`,
			`qualify score: column 5 ("contact.email") repeats column 1; in a row with both, the later cell wins unless it is empty`,
		}},
		{untyped, []string{"a.b.c", "a", "a.b", "x", "a"}, []string{
			`qualify score: column 5 ("a") repeats column 2; in a row with both, the later cell wins unless it is empty`,
			`qualify score: column 1 ("a.b.c") is inside column 3 ("a.b"); in a row with both, one is lost`,
			`qualify score: column 1 ("a.b.c") is inside column 2 ("a"); in a row with both, one is lost`,
			`qualify score: column 3 ("a.b") is inside column 2 ("a"); in a row with both, one is lost`,
		}},
		{acme, []string{"contact.email", "company.industry"}, nil},
		{acme, append([]string{"contact.email"}, strings.Split(strings.Repeat("x,", 999)+"x", ",")...), append(
			func() (w []string) {
				for i := range 20 {
					w = append(w, fmt.Sprintf(`qualify score: column %d ("x") is not a fact of the policy; it is ignored`, i+2))
				}
				return w
			}(), "qualify score: and 980 more warnings about columns")},
	} {
		var warn bytes.Buffer
		csvHeader(tc.header, tc.pol, &warn)
		var got []string
		if warn.Len() > 0 {
			got = strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n")
		}
		assert.Equal(t, tc.want, got, "%q", tc.header)
	}
}

// TestCSV_numbers: a number cell is a number as JSON writes it; Go's
// other spellings stay text, which an int or number fact rejects.
func TestCSV_numbers(t *testing.T) {
	intType, numType := &rules.Type{Kind: model.KindInt}, &rules.Type{Kind: model.KindNumber}
	for _, tc := range []struct {
		cell     string
		asInt    any
		asNumber any
	}{
		{"12", int64(12), 12.0},
		{" -3 ", int64(-3), -3.0},
		{"12.0", 12.0, 12.0},
		{"1e2", 100.0, 100.0},
		{"2.5", "2.5", 2.5},
		{"1e400", "1e400", "1e400"},
		{"+5", "+5", "+5"},
		{".5", ".5", ".5"},
		{"5.", "5.", "5."},
		{"0x10", "0x10", "0x10"},
		{"1_000", "1_000", "1_000"},
		{"Inf", "Inf", "Inf"},
		{"NaN", "NaN", "NaN"},
		{"012", "012", "012"},
	} {
		assert.Equal(t, tc.asInt, typedCell(intType, tc.cell), "%q as int", tc.cell)
		assert.Equal(t, tc.asNumber, typedCell(numType, tc.cell), "%q as number", tc.cell)
	}
}

// TestCSV_rowOverLimitAsJSON: a row under the size limit whose JSON form
// is over it (escapes grow control characters sixfold) is still scored,
// through the maps.
func TestCSV_rowOverLimitAsJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.csv")
	writeFile(t, path, "contact.email,company.industry\na@b.c,"+strings.Repeat("\x01", eval.MaxFactsSize/5)+"\n")
	code, out, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "--now", "2026-11-01", "--quiet", "--trace=false", path)
	require.Equal(t, exitOK, code, errOut)
	lines := scoreLines(t, out)
	require.Len(t, lines, 1)
	assert.Nil(t, lines[0]["error"])
	assert.NotNil(t, lines[0]["result"])
}
