# SLM-Copilot appliance image: the Ubuntu 24.04 cloud image pinned in artifacts.lock.json, the OpenNebula context
# package and one-apps framework, then the one-apps install stage (`service install` → `slm-copilot install`),
# cleanup, and virt-sysprep/virt-sparsify. make image (packer/build.sh) runs the preflight and stages the verified
# artifacts before, and compresses the disk and writes the manifest after. docs/BUILD.md has every step.

packer {
  required_version = ">= 1.7.0"
  required_plugins {
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = ">= 1.1.0"
    }
  }
}

locals {
  lock   = jsondecode(file(var.lock_file))
  ubuntu = [for artifact in local.lock.artifacts : artifact if artifact.name == "ubuntu-cloud-image"][0]

  # Build host → build VM: the proxy, the mirror. Packer adds PACKER_HTTP_ADDR (its server for the artifacts).
  guest_env = [
    "http_proxy=${var.http_proxy}",
    "https_proxy=${var.https_proxy}",
    "no_proxy=${var.no_proxy}",
    "HTTP_PROXY=${var.http_proxy}",
    "HTTPS_PROXY=${var.https_proxy}",
    "NO_PROXY=${var.no_proxy}",
    "APT_MIRROR=${var.apt_mirror}",
  ]

  guest_scripts = [
    "packer/guest/10-base.sh",
    "packer/guest/11-grub.sh",
    "packer/guest/20-artifacts.sh",
    "packer/guest/30-context.sh",
    "packer/guest/31-ssh.sh",
    "packer/guest/40-one-apps.sh",
    "packer/guest/50-control-plane.sh",
    "packer/guest/60-service-install.sh",
    "packer/guest/90-cleanup.sh",
  ]
}

source "qemu" "slm-copilot" {
  accelerator = "kvm"
  cpu_model   = "host"
  cpus        = var.cpus
  memory      = var.memory_mb
  headless    = var.headless

  # The verified copy first (slm-copilot image fetch put it there); Packer checks the lock's sha256 either way.
  # An unpinned image (sha256 null) makes this template invalid: nothing boots an unverified image.
  iso_urls     = ["${var.artifacts_dir}/${local.ubuntu.file}", local.ubuntu.url]
  iso_checksum = "sha256:${local.ubuntu.sha256}"

  disk_image         = true
  disk_size          = var.disk_size
  disk_interface     = "virtio"
  disk_cache         = "unsafe"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  disk_compression   = false
  format             = "qcow2"
  net_device         = "virtio-net"
  output_directory   = var.output_dir
  vm_name            = var.vm_name

  # The build VM fetches its artifacts from here (10.0.2.2 from inside); bound to loopback, not the LAN.
  http_directory    = var.artifacts_dir
  http_bind_address = "127.0.0.1"

  qemuargs = [
    ["-cdrom", "${var.work_dir}/seed.iso"],
    ["-serial", "file:${var.work_dir}/serial.log"],
  ]

  communicator         = "ssh"
  ssh_username         = "slm-build"
  ssh_private_key_file = "${var.work_dir}/build-key"
  ssh_timeout          = var.ssh_timeout
  shutdown_command     = "sudo shutdown -P now"
  shutdown_timeout     = "15m"
}

build {
  sources = ["source.qemu.slm-copilot"]

  provisioner "shell" {
    inline = ["install -d -m 0755 /tmp/slm-copilot-upload"]
  }

  provisioner "file" {
    sources = [
      var.bundle,
      var.lock_file,
      var.appliance_script,
      "${var.work_dir}/guest-artifacts.txt",
      "packer/guest/common.sh",
    ]
    destination = "/tmp/slm-copilot-upload/"
  }

  provisioner "shell" {
    execute_command  = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    environment_vars = local.guest_env
    scripts          = local.guest_scripts
  }

  post-processor "shell-local" {
    execute_command  = ["bash", "-c", "{{ .Vars }} {{ .Script }}"]
    environment_vars = ["IMAGE=${var.output_dir}/${var.vm_name}"]
    scripts          = ["packer/host/postprocess.sh"]
  }
}
