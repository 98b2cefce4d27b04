package detect

// The ATT&CK techniques the rules cite (Enterprise and Containers matrices).
var (
	tContainerAdminCommand = Technique{"T1609", "Container Administration Command"}
	tDeployContainer       = Technique{"T1610", "Deploy Container"}
	tEscapeToHost          = Technique{"T1611", "Escape to Host"}
	tResourceDiscovery     = Technique{"T1613", "Container and Resource Discovery"}
	tValidAccounts         = Technique{"T1078", "Valid Accounts"}
	tDefaultAccounts       = Technique{"T1078.001", "Valid Accounts: Default Accounts"}
	tClusterRoles          = Technique{"T1098.006", "Account Manipulation: Additional Container Cluster Roles"}
	tCreateAccount         = Technique{"T1136", "Create Account"}
	tContainerAPI          = Technique{"T1552.007", "Unsecured Credentials: Container API"}
	tCredentialsInFiles    = Technique{"T1552.001", "Unsecured Credentials: Credentials In Files"}
	tExternalServices      = Technique{"T1133", "External Remote Services"}
	tNetworkSniffing       = Technique{"T1040", "Network Sniffing"}
	tProtocolTunneling     = Technique{"T1572", "Protocol Tunneling"}
	tAltAuthMaterial       = Technique{"T1550", "Use Alternate Authentication Material"}
	tStealToken            = Technique{"T1528", "Steal Application Access Token"}
	tForgeCertificates     = Technique{"T1649", "Steal or Forge Authentication Certificates"}
	tImpairDefenses        = Technique{"T1562.001", "Impair Defenses: Disable or Modify Tools"}
	tIndicatorRemoval      = Technique{"T1070", "Indicator Removal"}
	tBruteForce            = Technique{"T1110", "Brute Force"}
	tPermissionDiscovery   = Technique{"T1069", "Permission Groups Discovery"}
)
