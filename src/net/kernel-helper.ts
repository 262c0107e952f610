// The kernel channel's helper: a small perl program that owns the sockets Node cannot open without a
// native addon (which a single binary cannot carry): a netlink socket for address changes, one bound to
// RTMGRP_LINK for link events, and an AF_PACKET socket for gratuitous ARP and neighbour advertisements.
// perl-base is Essential in Debian (on every host); the program loads no module at all, not even strict
// or Socket: they took its idle RSS from 5.0 to 6.8 MB (1.3 MB of it private) for three constants. So
// AF_NETLINK, AF_PACKET and SOCK_RAW are written out (16, 17 and 3, the same on every Linux architecture);
// perl's socket() takes any family. It moves bytes only: every message is encoded and decoded in
// src/net/netlink.ts and src/net/announce-frames.ts, where tests reach them.
//
// Its stdin, one request a line, answered in order on stdout:
//   N <hex>            a netlink request → N <hex of every answer up to the ack or the dump's end> | N! <error>
//   P <ifindex> <hex>  an Ethernet frame to send on that interface → P | P! <error>
//   A <ifindex> <hex> <frame hex>…  a netlink request (an address added) and, once the kernel has accepted
//                      it, the frames at once, with no round trip through the agent → as N
// and, unasked, `E <hex>` for each read of link events (`E! <error>` when the kernel dropped some: look again).
// It says `R` once its sockets are open, dies with a message on stderr when they cannot be, and ends at
// the end of its input (the agent exited, however it exited). INT, TERM and HUP are ignored: a Ctrl-C or
// a signal to the process group must not take the VIP's channel away while the agent still releases it.
export const HELPER_SCRIPT = String.raw`sub AF_NETLINK () { 16 } sub AF_PACKET () { 17 } sub SOCK_RAW () { 3 }
$SIG{INT} = $SIG{TERM} = $SIG{HUP} = 'IGNORE'; $| = 1;
socket(my $rq, AF_NETLINK, SOCK_RAW, 0) or die "netlink socket: $!\n";
socket(my $ev, AF_NETLINK, SOCK_RAW, 0) or die "netlink socket: $!\n";
bind($ev, pack('S S L L', AF_NETLINK, 0, 0, 1)) or die "netlink bind to link events: $!\n";
socket(my $pk, AF_PACKET, SOCK_RAW, 0) or die "packet socket: $!\n";
print "R\n";
sub ask {
  send($rq, pack('H*', $_[0]), 0) or return "N! $!";
  my $all = '';
  for (;;) {
    defined(recv($rq, my $b, 65536, 0)) or return "N! $!";
    $all .= $b;
    for (my $o = 0; $o + 16 <= length $b; ) {
      my ($len, $type) = unpack("x$o L S", $b);
      return 'N ' . unpack('H*', $all) if $type == 2 || $type == 3;
      last if $len < 16;
      $o += ($len + 3) & ~3;
    }
  }
}
sub frame {
  my $f = pack('H*', $_[1]);
  my $to = pack('S n i S C C a8', AF_PACKET, unpack('x12 n', $f), $_[0], 0, 0, 0, '');
  return defined(send($pk, $f, 0, $to)) ? 'P' : "P! $!";
}
my ($in, $rin) = ('', '');
vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($ev), 1) = 1;
for (;;) {
  my $n = select(my $r = $rin, undef, undef, undef);
  next if $n <= 0;
  if (vec($r, fileno($ev), 1)) { my $e; print defined(recv($ev, $e, 65536, 0)) ? 'E ' . unpack('H*', $e) . "\n" : "E! $!\n"; }
  next unless vec($r, fileno(STDIN), 1);
  sysread(STDIN, my $b, 65536) or exit 0;
  $in .= $b;
  while ($in =~ s/^([^\n]*)\n//) {
    my @w = split / /, $1;
    if ($w[0] eq 'A') {
      my $a = ask($w[2]);
      # The ack's error field (after the 16-byte header) is 0 when the address was added.
      if ($a =~ /^N ([0-9a-f]+)$/ && unpack('x16 i', pack('H*', $1)) == 0) { frame($w[1], $_) for @w[3 .. $#w]; }
      print "$a\n";
      next;
    }
    print(($w[0] eq 'N' ? ask($w[1]) : $w[0] eq 'P' ? frame($w[1], $w[2]) : "X! unknown request") . "\n");
  }
}`;
