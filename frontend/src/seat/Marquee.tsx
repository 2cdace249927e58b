// The motivational marquee (DIAL-9): the supervisor's messages scrolling across the console.
// Still, as a plain list, for people who asked their system for reduced motion.
import { Box, Text } from "@mantine/core";

export function Marquee({ messages }: { messages: string[] }) {
  if (messages.length === 0) return null;
  const line = messages.join("   ·   ");
  return (
    <Box className="marquee" data-testid="marquee" role="marquee" aria-label={line}>
      <Text component="span" className="marquee-text" fw={600}>
        {line}
      </Text>
    </Box>
  );
}
