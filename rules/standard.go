package rules

import "strings"

// StandardFrameworks lists the criteria of the qualification frameworks the
// language knows by name. A policy that declares one of them must define
// exactly these criteria.
var StandardFrameworks = map[string][]string{
	"BANT":      {"budget", "authority", "need", "timeline"},
	"CHAMP":     {"challenges", "authority", "money", "prioritization"},
	"MEDDIC":    {"metrics", "economic_buyer", "decision_criteria", "decision_process", "identify_pain", "champion"},
	"MEDDPICC":  {"metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process", "identify_pain", "champion", "competition"},
	"FAINT":     {"funds", "authority", "interest", "need", "timing"},
	"ANUM":      {"authority", "need", "urgency", "money"},
	"NEAT":      {"need", "economic_impact", "access_to_authority", "timeline"},
	"GPCTBA_CI": {"goals", "plans", "challenges", "timeline", "budget", "authority", "negative_consequences", "positive_implications"},
}

// standardFramework returns the standard name and criteria for name,
// matched without regard to case.
func standardFramework(name string) (string, []string, bool) {
	for std, crit := range StandardFrameworks {
		if strings.EqualFold(std, name) {
			return std, crit, true
		}
	}
	return "", nil, false
}
