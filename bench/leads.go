// Package bench compares qualify with four other ways of implementing the
// acme policy of examples/acme/acme.qual: hand-written Go, expr with one
// program per rule, cel-go and grule. Every implementation turns a lead
// (a map[string]any as encoding/json decodes it) into an Outcome; the
// agreement test requires all of them to give qualify's outcome for every
// generated lead, and the benchmarks (bench_test.go) compare their speed.
//
// It is its own Go module so that the library's go.mod does not carry
// cel-go and grule.
package bench

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Now is the evaluation time of the agreement test and the benchmarks, and
// the reference time of the generated leads' dates.
var Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Seed is the seed of the benchmark's lead set.
const Seed = 20261101

// SetSize is the number of leads of the agreement test and the benchmarks.
const SetSize = 1000

// Leads returns n generated acme leads, decoded by encoding/json into
// map[string]any (numbers float64, times RFC 3339 strings), exactly as a
// service would receive them. The same seed gives the same leads.
func Leads(n int, seed uint64) ([]map[string]any, error) {
	g := NewGenerator(seed)
	out := make([]map[string]any, n)
	for i := range out {
		b, err := json.Marshal(g.Lead())
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WriteJSONL writes n generated leads, one JSON object a line.
func WriteJSONL(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	g := NewGenerator(seed)
	for range n {
		if err := enc.Encode(g.Lead()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// CSVColumns are the columns WriteCSV writes: acme's facts, by path.
var CSVColumns = []string{
	"company.employees", "company.industry", "company.revenue",
	"contact.email", "contact.role", "contact.competitor",
	"budget.approved", "budget.amount", "timeline.days", "pains",
	"activity.demo_requested", "activity.last_visit", "activity.pricing_views",
	"activity.unsubscribed", "events",
}

// WriteCSV writes n generated leads as CSV, as qualify score reads it: a
// header row of fact paths, then a row a lead; a missing or null fact is
// an empty cell, a list is a JSON array. The leads are WriteJSONL's.
func WriteCSV(w io.Writer, n int, seed uint64) error {
	cw := csv.NewWriter(w) // buffered

	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	g := NewGenerator(seed)
	row := make([]string, len(CSVColumns))
	for range n {
		lead := g.Lead()
		for i, col := range CSVColumns {
			cell, err := csvCell(lookupPath(lead, strings.Split(col, ".")))
			if err != nil {
				return err
			}
			row[i] = cell
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func lookupPath(m map[string]any, path []string) any {
	var cur any = m
	for _, seg := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[seg]
	}
	return cur
}

func csvCell(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Generator makes acme leads: varied, with every optional fact sometimes
// absent and sometimes null, and every stage and grade reached.
type Generator struct {
	r *rand.Rand
	n int
}

// NewGenerator returns a generator whose leads depend only on seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// archetypes are the leads of every 3rd position, in turn: each pushes the
// lead towards one stage or grade, so that every one is reached many times.
var archetypes = []string{"sql", "mql", "disqualified", "unqualified", "gradeA", "gradeB", "gradeC", "gradeD", "sparse", "future"}

// Lead returns the next lead, as a JSON-like value (map[string]any with
// float64 numbers and RFC 3339 strings for times).
func (g *Generator) Lead() map[string]any {
	i := g.n
	g.n++
	kind := "random"
	if i%3 == 0 {
		kind = archetypes[(i/3)%len(archetypes)]
	}
	lead := map[string]any{}
	g.object(lead, "company", g.company(kind))
	g.object(lead, "contact", g.contact(kind))
	g.object(lead, "budget", g.budget(kind))
	g.object(lead, "timeline", g.timeline(kind))
	g.set(lead, "pains", g.pains(kind), 0.12)
	g.object(lead, "activity", g.activity(kind))
	g.set(lead, "events", g.events(kind), 0.10)
	if kind == "sparse" {
		// Only what is required, and a fact or two.
		sparse := map[string]any{"contact": map[string]any{"email": lead["contact"].(map[string]any)["email"]}}
		if g.chance(0.5) {
			sparse["activity"] = map[string]any{"pricing_views": float64(g.r.IntN(3))}
		}
		if g.chance(0.5) {
			sparse["company"] = map[string]any{"industry": g.pick("saas", "retail")}
		}
		return sparse
	}
	return lead
}

func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *Generator) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// set stores v under k, except that with probability pAbsent the fact is
// left out, and with a smaller one it is a JSON null.
func (g *Generator) set(m map[string]any, k string, v any, pAbsent float64) {
	switch u := g.r.Float64(); {
	case u < pAbsent:
	case u < pAbsent+0.02:
		m[k] = nil
	default:
		m[k] = v
	}
}

// object stores an object fact; the company, budget, timeline and activity
// objects are sometimes absent or null as a whole. contact never is: its
// email is required.
func (g *Generator) object(lead map[string]any, k string, fields map[string]any) {
	if k == "contact" {
		lead[k] = fields
		return
	}
	g.set(lead, k, fields, 0.08)
}

// field stores a fact of an object, absent with probability p.
func (g *Generator) field(m map[string]any, k string, v any, p float64) {
	g.set(m, k, v, p)
}

func (g *Generator) company(kind string) map[string]any {
	m := map[string]any{}
	industry := g.pick("saas", "fintech", "healthtech", "retail", "manufacturing", "education", "media", "logistics", "SaaS")
	employees := math.Round(math.Exp(g.r.Float64() * math.Log(20000)))
	switch g.r.IntN(12) {
	case 0:
		employees = 100
	case 1:
		employees = 101
	}
	revenue := math.Round(math.Exp(math.Log(50_000)+g.r.Float64()*math.Log(4000))/1000) * 1000
	switch g.r.IntN(12) {
	case 0:
		revenue = 5_000_000
	case 1:
		revenue = 5_000_000.5
	case 2:
		revenue = 1234567.89
	}
	switch kind {
	case "sql", "gradeA":
		industry = g.pick("saas", "fintech", "healthtech")
		employees = float64(150 + g.r.IntN(5000))
		revenue = float64(6_000_000 + g.r.IntN(50_000_000))
	case "gradeB":
		industry = g.pick("saas", "fintech")
		employees = float64(10 + g.r.IntN(80))
		revenue = float64(1_000_000 + g.r.IntN(3_000_000))
	case "gradeC", "mql":
		industry = g.pick("saas", "healthtech")
		employees = float64(5 + g.r.IntN(50))
		revenue = float64(100_000 + g.r.IntN(1_000_000))
	case "gradeD":
		industry = g.pick("retail", "media")
		employees = float64(1 + g.r.IntN(50))
		revenue = float64(20_000 + g.r.IntN(500_000))
	}
	p := 0.10
	if kind == "sql" || kind == "gradeA" {
		p = 0
	}
	g.field(m, "industry", industry, p)
	g.field(m, "employees", employees, p)
	g.field(m, "revenue", revenue, p)
	g.field(m, "country", g.pick("US", "DE", "FR", "UK", "ES", "BR", "IN", "JP"), 0.2)
	return m
}

var firstNames = []string{"ana", "ben", "chen", "dana", "eli", "fatima", "gus", "hana", "ivan", "jo", "kim", "lea", "mo", "nia", "omar", "pia", "raj", "sam", "tom", "uma"}

func (g *Generator) contact(kind string) map[string]any {
	m := map[string]any{}
	name := firstNames[g.r.IntN(len(firstNames))]
	var domain string
	switch u := g.r.Float64(); {
	case u < 0.18:
		domain = "gmail.com"
	case u < 0.28:
		domain = "yahoo.com"
	case u < 0.32:
		domain = "hotmail.com" // free mail, but not in the policy's list
	case u < 0.34:
		domain = "GMAIL.COM" // endsWith is case-sensitive: not free mail
	default:
		domain = g.pick("acme.io", "payfast.fr", "medisoft.de", "shopco.co.uk", "rivalscore.com", "bigcorp.com", "startup.dev")
	}
	switch kind {
	case "sql", "gradeA", "gradeB":
		domain = g.pick("acme.io", "bigcorp.com")
	case "unqualified", "gradeD":
		domain = g.pick("gmail.com", "yahoo.com")
	}
	m["email"] = name + "@" + domain // required: always present
	role := g.pick("owner", "ceo", "cto", "vp", "director", "manager", "analyst", "engineer", "intern", "VP", "head of sales")
	competitor := g.chance(0.05)
	pRole, pComp := 0.12, 0.15
	switch kind {
	case "sql", "gradeA", "gradeB":
		role = g.pick("owner", "ceo", "cto", "vp", "director")
		competitor, pRole, pComp = false, 0, 0.3
	case "gradeC", "mql", "gradeD", "unqualified":
		role = g.pick("analyst", "engineer", "manager")
		competitor = false
	case "disqualified":
		competitor, pComp = true, 0
	}
	g.field(m, "role", role, pRole)
	g.field(m, "competitor", competitor, pComp)
	return m
}

func (g *Generator) budget(kind string) map[string]any {
	m := map[string]any{}
	approved := g.chance(0.35)
	var amount float64
	switch g.r.IntN(6) {
	case 0:
		amount = 10000
	case 1:
		amount = 9999.99
	case 2:
		amount = float64(g.r.IntN(5000))
	case 3:
		amount = float64(20000 + g.r.IntN(200000))
	default:
		amount = math.Round(10000 + g.r.NormFloat64()*4000)
	}
	pApproved, pAmount := 0.2, 0.35
	if kind == "sql" {
		approved, pApproved = true, 0
	}
	g.field(m, "approved", approved, pApproved)
	g.field(m, "amount", amount, pAmount)
	return m
}

func (g *Generator) timeline(kind string) map[string]any {
	m := map[string]any{}
	var days float64
	switch g.r.IntN(10) {
	case 0:
		days = 0
	case 1:
		days = 90
	case 2:
		days = 91
	case 3:
		days = 180
	case 4:
		days = float64(-g.r.IntN(30))
	case 5:
		days = 1
	default:
		days = float64(g.r.IntN(400))
	}
	p := 0.15
	if kind == "sql" {
		days, p = float64(1+g.r.IntN(90)), 0
	}
	g.field(m, "days", days, p)
	return m
}

var painList = []string{"manual scoring", "lead routing", "stale CRM data", "slow follow-up", "bad forecasts", "stock counts"}

func (g *Generator) pains(kind string) []any {
	n := g.r.IntN(4)
	if kind == "sql" && n == 0 {
		n = 1
	}
	out := make([]any, n)
	for i := range out {
		out[i] = painList[g.r.IntN(len(painList))]
	}
	return out
}

// at returns a time around Now: from days before it (fractional, second
// precision), sometimes written with a +02:00 offset.
func (g *Generator) at(daysAgo float64) string {
	t := Now.Add(-time.Duration(daysAgo * float64(24*time.Hour))).Truncate(time.Second)
	if g.chance(0.05) {
		return t.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
	}
	return t.Format(time.RFC3339)
}

func (g *Generator) activity(kind string) map[string]any {
	m := map[string]any{}
	demo := g.chance(0.3)
	pricing := float64(g.r.IntN(6))
	if g.chance(0.4) {
		pricing = 0
	}
	unsub := g.chance(0.08)
	var lastVisit string
	switch g.r.IntN(16) {
	case 0:
		lastVisit = g.at(60) // exactly 60 days: recent
	case 1:
		lastVisit = g.at(61 - 1.0/86400) // a second short of 61 days: 60 whole days
	case 2:
		lastVisit = g.at(61)
	case 3:
		lastVisit = g.at(-g.r.Float64() * 10) // a future visit: negative days
	case 4:
		lastVisit = g.at(60 + g.r.Float64()) // 60 whole days, at any hour
	default:
		lastVisit = g.at(g.r.Float64() * 200)
	}
	pDemo, pPricing := 0.1, 0.1
	switch kind {
	case "sql", "mql":
		demo, pricing, unsub, pDemo, pPricing = true, float64(1+g.r.IntN(5)), false, 0, 0
		lastVisit = g.at(g.r.Float64() * 30)
	case "unqualified":
		demo, pricing = false, 0
	}
	g.field(m, "demo_requested", demo, pDemo)
	g.field(m, "pricing_views", pricing, pPricing)
	g.field(m, "page_views", float64(g.r.IntN(60)), 0.1)
	g.field(m, "unsubscribed", unsub, 0.1)
	g.field(m, "last_visit", lastVisit, 0.1)
	return m
}

func (g *Generator) events(kind string) []any {
	n := g.r.IntN(9)
	if kind == "mql" || kind == "future" {
		n = 3 + g.r.IntN(6)
	}
	out := make([]any, n)
	var prev string
	for i := range out {
		typ := g.pick("webinar", "page", "ebook")
		if kind == "mql" || kind == "future" {
			typ = g.pick("webinar", "webinar", "page")
		}
		var at string
		switch {
		case (kind == "future" || g.chance(0.05)) && g.chance(0.5):
			at = g.at(-g.r.Float64() * 14) // in the future: age 0
		case i > 0 && g.chance(0.05):
			at = prev // two events at the same time
		default:
			at = g.at(g.r.Float64() * 200)
		}
		prev = at
		ev := map[string]any{"type": typ, "at": at}
		if g.chance(0.6) {
			ev["url"] = fmt.Sprintf("/%ss/%d", typ, g.r.IntN(40))
		}
		out[i] = ev
	}
	return out
}
