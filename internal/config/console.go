package config

import "strings"

// Console configures the web console.
type Console struct {
	// ServiceReference is the folder of the AWS Service Authorization
	// Reference, in the iam-data JSON layout (services.json, actions/,
	// resourceTypes/, conditionKeys/), that the policy generator offers
	// services, actions, ARN formats and condition keys from; "" for
	// none (the generator then takes typed actions only).
	ServiceReference string
}

type fileConsole struct {
	ServiceReference *string `yaml:"service_reference"`
}

// fileConsoleSettings takes the file's console settings.
func fileConsoleSettings(f *fileConsole, set func(settingID, *string)) {
	if f == nil {
		return
	}
	set(sConsoleServiceReference, f.ServiceReference)
}

// convertConsole builds the console's settings. The reference folder is
// read, and checked, when the node starts.
func convertConsole(v *[numSettings]value) Console {
	return Console{ServiceReference: strings.TrimSpace(v[sConsoleServiceReference].str)}
}
