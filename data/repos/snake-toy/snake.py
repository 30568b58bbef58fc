import random
import sys

import pygame

CELL = 20
W, H = 32, 24
SPEED = 10


def new_food(snake):
    while True:
        p = (random.randrange(W), random.randrange(H))
        if p not in snake:
            return p


def main():
    pygame.init()
    screen = pygame.display.set_mode((W * CELL, H * CELL))
    pygame.display.set_caption("snake")
    clock = pygame.time.Clock()
    font = pygame.font.SysFont(None, 28)

    snake = [(W // 2, H // 2)]
    direction = (1, 0)
    food = new_food(snake)
    score = 0

    while True:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                pygame.quit()
                sys.exit()
            if event.type == pygame.KEYDOWN:
                if event.key == pygame.K_ESCAPE:
                    pygame.quit()
                    sys.exit()
                keys = {pygame.K_UP: (0, -1), pygame.K_DOWN: (0, 1), pygame.K_LEFT: (-1, 0), pygame.K_RIGHT: (1, 0)}
                if event.key in keys and keys[event.key] != (-direction[0], -direction[1]):
                    direction = keys[event.key]

        head = ((snake[0][0] + direction[0]) % W, (snake[0][1] + direction[1]) % H)
        if head in snake:
            snake = [(W // 2, H // 2)]
            score = 0
        snake.insert(0, head)
        if head == food:
            score += 1
            food = new_food(snake)
        else:
            snake.pop()

        screen.fill((20, 20, 20))
        pygame.draw.rect(screen, (200, 40, 40), (food[0] * CELL, food[1] * CELL, CELL, CELL))
        for x, y in snake:
            pygame.draw.rect(screen, (60, 200, 90), (x * CELL, y * CELL, CELL - 1, CELL - 1))
        screen.blit(font.render(f"score {score}", True, (230, 230, 230)), (8, 8))
        pygame.display.flip()
        clock.tick(SPEED + score // 5)


if __name__ == "__main__":
    main()
