package config

import (
	"fmt"
	"strings"
	"time"
)

// Console configures the web console.
type Console struct {
	// ServiceReference is the folder of the AWS Service Authorization
	// Reference, in the iam-data JSON layout (services.json, actions/,
	// resourceTypes/, conditionKeys/), that the policy generator offers
	// services, actions, ARN formats and condition keys from; "" for
	// none (the generator then takes typed actions only).
	ServiceReference string
	// SessionDuration is how long a console session lasts
	// (ConsoleLogin's credentials), MinConsoleSessionDuration to
	// MaxConsoleSessionDuration.
	SessionDuration time.Duration
}

// Bounds and default of a console session (AWS's console sessions of IAM
// users last up to 12 hours).
const (
	MinConsoleSessionDuration     = 15 * time.Minute
	MaxConsoleSessionDuration     = 12 * time.Hour
	DefaultConsoleSessionDuration = time.Hour
)

type fileConsole struct {
	ServiceReference *string `yaml:"service_reference"`
	SessionDuration  *string `yaml:"session_duration"`
}

// fileConsoleSettings takes the file's console settings.
func fileConsoleSettings(f *fileConsole, set func(settingID, *string)) {
	if f == nil {
		return
	}
	set(sConsoleServiceReference, f.ServiceReference)
	set(sConsoleSessionDuration, f.SessionDuration)
}

// convertConsole checks and builds the console's settings. The reference
// folder is read, and checked, when the node starts.
func convertConsole(v *[numSettings]value, errs []error) (Console, []error) {
	c := Console{ServiceReference: strings.TrimSpace(v[sConsoleServiceReference].str)}
	id := sConsoleSessionDuration
	d, err := time.ParseDuration(strings.TrimSpace(v[id].str))
	if err != nil || d < MinConsoleSessionDuration || d > MaxConsoleSessionDuration {
		errs = append(errs, newError(id, v[id].from, fmt.Sprintf("%q is not a duration from %s to %s; the default is %s",
			v[id].str, fmtDur(MinConsoleSessionDuration), fmtDur(MaxConsoleSessionDuration), fmtDur(DefaultConsoleSessionDuration))))
	}
	c.SessionDuration = d
	return c, errs
}
