package rules

import "github.com/kubeward/kubeward/internal/audit/detect"

// The ATT&CK techniques the rules cite (Enterprise and Containers matrices).
var (
	tUnixShell        = detect.Technique{ID: "T1059.004", Name: "Command and Scripting Interpreter: Unix Shell"}
	tContainerAdmin   = detect.Technique{ID: "T1609", Name: "Container Administration Command"}
	tIngressTool      = detect.Technique{ID: "T1105", Name: "Ingress Tool Transfer"}
	tCompileDelivery  = detect.Technique{ID: "T1027.004", Name: "Obfuscated Files or Information: Compile After Delivery"}
	tServiceDiscovery = detect.Technique{ID: "T1046", Name: "Network Service Discovery"}
	tCredsInFiles     = detect.Technique{ID: "T1552.001", Name: "Unsecured Credentials: Credentials In Files"}
	tShadow           = detect.Technique{ID: "T1003.008", Name: "OS Credential Dumping: /etc/passwd and /etc/shadow"}
	tContainerAPI     = detect.Technique{ID: "T1552.007", Name: "Unsecured Credentials: Container API"}
	tStealToken       = detect.Technique{ID: "T1528", Name: "Steal Application Access Token"}
	tHostBinary       = detect.Technique{ID: "T1554", Name: "Compromise Host Software Binary"}
	tSetuid           = detect.Technique{ID: "T1548.001", Name: "Abuse Elevation Control Mechanism: Setuid and Setgid"}
	tEscapeToHost     = detect.Technique{ID: "T1611", Name: "Escape to Host"}
	tPtrace           = detect.Technique{ID: "T1055.008", Name: "Process Injection: Ptrace System Calls"}
	tKernelModules    = detect.Technique{ID: "T1547.006", Name: "Boot or Logon Autostart Execution: Kernel Modules and Extensions"}
	tMetadataAPI      = detect.Technique{ID: "T1552.005", Name: "Unsecured Credentials: Cloud Instance Metadata API"}
	tNonAppPort       = detect.Technique{ID: "T1571", Name: "Non-Standard Port"}
	tUserExecution    = detect.Technique{ID: "T1204.003", Name: "User Execution: Malicious Image"}
	tBoundaryBridging = detect.Technique{ID: "T1599", Name: "Network Boundary Bridging"}
	tLateralTool      = detect.Technique{ID: "T1570", Name: "Lateral Tool Transfer"}
	tStoredData       = detect.Technique{ID: "T1565.001", Name: "Data Manipulation: Stored Data Manipulation"}
	tAppProtocol      = detect.Technique{ID: "T1071", Name: "Application Layer Protocol"}
	tExfilC2          = detect.Technique{ID: "T1041", Name: "Exfiltration Over C2 Channel"}
)
