package mockserver

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Parts of generated rosters: hospitals and depots, their units, roles and
// shifts, as RosterOn shows them.
var (
	genSites = []string{"Royal Melbourne", "Sunshine Hospital", "Box Hill", "Austin Health", "Western Health", "Monash Clayton"}
	genUnits = []string{"Ward 4B", "Ward 7 East", "Emergency", "ICU", "Maternity", "Theatre & Recovery", "Oncology Day Unit", "Mental Health - Acute"}
	genRoles = []string{"Registered Nurse Div 1", "Enrolled Nurse", "Associate Nurse Unit Manager", "Midwife", "Patient Services Assistant", "Clinical Nurse Specialist"}
	genFirst = []string{"ANN", "JOE", "ZOË", "MARIA", "WEI", "PRIYA", "LIAM", "NGUYỄN", "SARAH", "TOM", "RENÉE", "AHMED"}
	genLast  = []string{"NURSE", "BLOGGS", "SMITH", "NGUYEN", "PATEL", "O'BRIEN", "KOWALSKI", "FAŸ", "CHEN", "MURPHY", "TAYLOR", "ROSSI"}
	genNotes = []string{"Handover < 15 min & bed board", "Preceptor for new graduate", "Cover for a colleague", "Mandatory training", "Buddy shift", "Float to ED if required"}
)

// genShift is a kind of shift a generated roster is made of.
type genShift struct{ name, times string }

var genShifts = []genShift{
	{"Day Shift", "07:00 - 15:30"},
	{"Late Shift", "13:00 - 21:30"},
	{"Night Shift", "21:30 - 07:30"},
	{"Short Day", "07:00 - 13:00"},
	{"Evening Shift", "16:00 - 23:59"},
	{"Late Shift", "15:30 - 00:00"},
}

// GenerateUsers returns n users for a mock serving many people: usernames
// PREFIX.0001, PREFIX.0002, …, each with a password and a roster of their
// own, from three days before today for about five and a half months
// (the size of a real roster page: between 80 and 140 shifts). The rosters
// vary as real ones do: units, roles, day, late and night shifts, runs of
// nights, on-call, annual leave, rest days, notes and warnings, "&", "<"
// and non-ASCII text. The same prefix, n, seed and today give the same
// users. The passwords are made for the mock only and protect nothing.
func GenerateUsers(prefix string, n int, seed int64, today time.Time) []User {
	users := make([]User, 0, max(n, 0))
	for i := range max(n, 0) {
		r := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
		first, last := genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))]
		name := last + ", " + first
		users = append(users, User{
			Username: fmt.Sprintf("%s.%04d", prefix, i+1),
			Password: fmt.Sprintf("mock-%016x", r.Uint64()),
			Name:     name,
			Roster:   buildRoster(today, -3, genSchedule(r, name)),
		})
	}
	return users
}

// genSchedule makes one person's schedule over scheduleDays*4 days.
func genSchedule(r *rand.Rand, name string) []demoShift {
	site := genSites[r.IntN(len(genSites))]
	home := genUnits[r.IntN(len(genUnits))] + " - " + site
	role := genRoles[r.IntN(len(genRoles))]
	// How often this person works: from about 0.55 to 0.85 of days, so
	// that rosters hold between about 90 and 140 shifts.
	work := 0.55 + 0.3*r.Float64()
	days := scheduleDays * 4
	leaveAt := -1
	if r.IntN(3) == 0 {
		leaveAt = r.IntN(days - 10)
	}
	var out []demoShift
	nights := 0
	for day := 0; day < days; day++ {
		if leaveAt >= 0 && day >= leaveAt && day < leaveAt+5 {
			out = append(out, demoShift{day: day, title: home, times: "09:00 - 16:36", name: "Annual Leave", role: role})
			continue
		}
		if nights > 0 {
			nights--
			out = append(out, demoShift{day: day, title: home, times: "21:30 - 07:30", name: "Night Shift", role: role})
			continue
		}
		if r.Float64() > work {
			continue // a rest day, which RosterOn leaves out
		}
		sh := genShifts[r.IntN(len(genShifts))]
		if sh.name == "Night Shift" {
			nights = r.IntN(3) // a run of one to three nights
		}
		d := demoShift{day: day, title: home, times: sh.times, name: sh.name, role: role}
		if r.IntN(8) == 0 {
			d.title = genUnits[r.IntN(len(genUnits))] + " - " + site
		}
		if r.IntN(10) == 0 {
			d.note = genNotes[r.IntN(len(genNotes))]
		}
		if r.IntN(15) == 0 {
			d.warnings = []string{name + ": Minimum 10 hours between Allocations"}
		}
		out = append(out, d)
		if r.IntN(20) == 0 {
			out = append(out, demoShift{day: day, title: home, times: "Oncall (20:30 - 08:30)", name: "On Call", role: role})
		}
	}
	return out
}
