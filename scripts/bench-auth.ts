// What one HTTP Basic-auth verification costs nginx: auth_basic calls the C library's crypt(3) in the worker's event
// loop for every request. One perl process (perl's crypt is that same crypt(3)) times each scheme, interleaved over
// several repeats so load drift hits all alike; the median per scheme is printed, with ratios. SHA-512 crypt hashes
// the password twice per round, so its cost steps up with the password's length (one or two SHA-512 blocks a round):
// both lengths are measured.
//
//   node --import tsx scripts/bench-auth.ts [iterations per repeat, default 200] [repeats, default 5]
import { execFileSync } from 'node:child_process';

const LONG = 'Xk2-vP9q_Lm4Rt7wZa1cYe5N'; // 24 characters, like a generated password
const SHORT = 'Xk2-vP9q_Lm4'; // 12, the shortest ONEAPP_COPILOT_AUTH_PASSWORD allowed
const SALT = 'Qw3rTyUi0pAsDfGh'; // 16, as the appliance generates
const SCHEMES = [
  { label: '$6$ rounds=5000 (default), 24-char pw', setting: `$6$rounds=5000$${SALT}$`, password: LONG },
  { label: '$6$ rounds=1000 (minimum), 24-char pw', setting: `$6$rounds=1000$${SALT}$`, password: LONG },
  { label: '$6$ rounds=1000 (minimum), 12-char pw', setting: `$6$rounds=1000$${SALT}$`, password: SHORT },
  {
    label: '$2b$ cost 4 (bcrypt minimum), 24-char pw',
    setting: '$2b$04$abcdefghijklmnopqrstuu',
    password: LONG,
  },
  { label: '$2b$ cost 5, 24-char pw', setting: '$2b$05$abcdefghijklmnopqrstuu', password: LONG },
] as const;
const BASE = 1; // ratios are to $6$ rounds=1000 with the 24-character password

// Prints "index<TAB>microseconds" per scheme and repeat, or "index<TAB>unsupported" when crypt(3) refuses it.
const PERL = String.raw`
use strict; use warnings; use Time::HiRes qw(time);
my ($iterations, $repeats, @pairs) = @ARGV;
my (@settings, @passwords);
while (my ($setting, $password) = splice(@pairs, 0, 2)) { push @settings, $setting; push @passwords, $password }
my @hashes = map {
  my $h = crypt($passwords[$_], $settings[$_]);
  (defined $h && substr($h, 0, 1) eq '$') ? $h : undef
} 0 .. $#settings;
for my $i (0 .. $#settings) { print "$i\tunsupported\n" unless defined $hashes[$i] }
for my $r (1 .. $repeats) {
  for my $i (0 .. $#settings) {
    next unless defined $hashes[$i];
    my $t0 = time;
    my ($password, $hash) = ($passwords[$i], $hashes[$i]);
    for (1 .. $iterations) { crypt($password, $hash) eq $hash or die "verification failed\n" }
    printf "%d\t%.3f\n", $i, (time - $t0) * 1e6 / $iterations;
  }
}
`;

const iterations = Number(process.argv[2] ?? 200);
const repeats = Number(process.argv[3] ?? 5);
if (!(Number.isInteger(iterations) && iterations > 0 && Number.isInteger(repeats) && repeats > 0)) {
  console.error('usage: bench-auth.ts [iterations > 0] [repeats > 0]');
  process.exit(2);
}

function libcryptVersion(): string {
  try {
    // "libcrypt1:amd64<TAB>1:4.4.33-2": libxcrypt's Debian package.
    return execFileSync('dpkg-query', ['-W', 'libcrypt1'], { encoding: 'utf8', stdio: 'pipe' })
      .trim()
      .replace('\t', ' ');
  } catch {
    return 'libcrypt version unknown (no dpkg)';
  }
}

const pairs = SCHEMES.flatMap((scheme) => [scheme.setting, scheme.password]);
const output = execFileSync('perl', ['-e', PERL, String(iterations), String(repeats), ...pairs], {
  encoding: 'utf8',
});

const samples = SCHEMES.map(() => [] as number[]);
const unsupported = new Set<number>();
for (const line of output.trim().split('\n')) {
  const [index, value] = line.split('\t');
  if (value === 'unsupported') unsupported.add(Number(index));
  else samples[Number(index)]?.push(Number(value));
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

console.log(
  `crypt(3) verification cost, ${libcryptVersion()}, ${iterations} × ${repeats} per scheme, median µs per verification, ×ratio to the $6$ rounds=1000 24-char row`,
);
const base = median(samples[BASE] as number[]);
for (const [index, scheme] of SCHEMES.entries()) {
  if (unsupported.has(index)) {
    console.log(`  ${scheme.label.padEnd(44)} not supported by this C library`);
    continue;
  }
  const microseconds = median(samples[index] as number[]);
  const ratio = (microseconds / base).toFixed(2);
  console.log(`  ${scheme.label.padEnd(44)} ${microseconds.toFixed(0).padStart(6)} µs   ×${ratio}`);
}
