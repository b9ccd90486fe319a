# Inputs of the SLM-Copilot image build. packer/build.sh (make image) sets the paths; the rest has defaults.
# Paths are relative to the repository root, where make image runs packer.

variable "lock_file" {
  type        = string
  default     = "artifacts.lock.json"
  description = "The artifact lock: the Ubuntu cloud image's file, URL and sha256 come from it."
}

variable "artifacts_dir" {
  type        = string
  default     = "build/artifacts"
  description = "The verified artifacts (slm-copilot image fetch); Packer serves it to the build VM over HTTP."
}

variable "work_dir" {
  type        = string
  default     = "build"
  description = "Build files: seed ISO, one-time SSH key, the build VM's artifact list, serial console log."
}

variable "output_dir" {
  type        = string
  default     = "build/packer-out"
  description = "Where Packer writes the build disk (compressed into export/ afterwards)."
}

variable "vm_name" {
  type    = string
  default = "slm-copilot"
}

variable "bundle" {
  type        = string
  default     = "dist/slm-copilot.mjs"
  description = "The control plane bundle (make build)."
}

variable "appliance_script" {
  type    = string
  default = "appliances/slm-copilot/appliance.sh"
}

variable "cpus" {
  type    = number
  default = 4
}

variable "memory_mb" {
  type        = number
  default     = 8192
  description = "The build VM's memory: the install copies a 14 GB model; it never loads it."
}

variable "disk_size" {
  type        = string
  default     = "51200M"
  description = "The image's virtual disk: 14.3 GB model (twice during the install), OS, logs, room to grow."
}

variable "headless" {
  type    = bool
  default = true
}

variable "ssh_timeout" {
  type    = string
  default = "30m"
}

variable "apt_mirror" {
  type        = string
  default     = ""
  description = "An Ubuntu archive mirror for the build (air-gapped sites); the image keeps Ubuntu's own sources."
}

# The proxy of the build host reaches the build VM (apt, and any download the install stage would make).
variable "http_proxy" {
  type    = string
  default = env("http_proxy")
}

variable "https_proxy" {
  type    = string
  default = env("https_proxy")
}

variable "no_proxy" {
  type    = string
  default = env("no_proxy")
}
